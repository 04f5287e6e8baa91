import { Controller, Get } from '@nestjs/common';
import { OrderConsumer } from './order-consumer.service.js';

@Controller('orders')
export class OrdersController {
  constructor(private readonly consumer: OrderConsumer) {}

  @Get('stats')
  stats(): { processed: number } {
    return { processed: this.consumer.processed };
  }
}
