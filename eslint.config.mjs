// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

/** What lies above lib/primitives (and so above lib/core too). */
const ABOVE_PRIMITIVES = [
  '**/intake/**',
  '**/nest/**',
  '**/health/**',
  '**/discovery/**',
  '**/decorators/**',
  '**/async-lifecycle*',
  '**/index.js',
];

/** The forbidden imports of a bottom layer: a framework, a transport, or anything in `above`. */
function layering(above) {
  return [
    {
      group: ['@nestjs/*'],
      message: 'lib/core and lib/primitives are framework-free (DESIGN §2).',
    },
    { group: above, message: 'Arrows only point down: import nothing from a layer above.' },
    {
      group: ['node:http', 'node:https', 'node:http2', 'node:net', 'node:tls', 'node:dgram'],
      message: 'Core knows no transport: it belongs in lib/intake/<kind>/.',
    },
  ];
}

export default tseslint.config(
  {
    ignores: ['dist/', '.build/', 'coverage/', 'node_modules/', '.tmp/', 'test/package/consumers/'],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Cancellation reasons and task outcomes are `unknown` by contract.
      '@typescript-eslint/only-throw-error': 'off',
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
    },
  },
  {
    // DESIGN §2: arrows only point down. The engine and the primitives know no framework and no
    // transport; the engine does not know the primitives either.
    name: 'layering',
    files: ['lib/core/**/*.ts', 'lib/primitives/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: layering(ABOVE_PRIMITIVES) }] },
  },
  {
    name: 'layering-core',
    files: ['lib/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: layering(['**/primitives/**', ...ABOVE_PRIMITIVES]) },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        performance: 'readonly',
      },
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
);
