import { sep } from 'node:path';
import ts from 'typescript';

/**
 * The interfaces, classes and enums of the package that its public declarations (what
 * `entry` exports, followed through every type they mention, private members aside) refer to
 * without the package root exporting them. A consumer whose inferred type holds one of them
 * cannot emit declarations (TS2742, TS2883 since TypeScript 7): the type has no importable name.
 * Type aliases and `typeof` queries are left out: TypeScript writes those out in full.
 */
export function unnamedPublicTypes(entry: string): string[] {
  const program = ts.createProgram([entry], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const packageDir = entry.slice(0, entry.lastIndexOf(sep) + 1);
  const entryFile = program.getSourceFile(entry);
  const moduleSymbol = entryFile && checker.getSymbolAtLocation(entryFile);
  if (moduleSymbol === undefined) throw new Error(`${entry} is not a module`);

  const unaliased = (symbol: ts.Symbol) =>
    symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  const exported = new Set(checker.getExportsOfModule(moduleSymbol).map(unaliased));
  const named = ts.SymbolFlags.Interface | ts.SymbolFlags.Class | ts.SymbolFlags.Enum;
  const ours = (node: ts.Node) => node.getSourceFile().fileName.startsWith(packageDir);
  const unnamed = new Set<string>();
  const visited = new Set<ts.Node>();

  function visit(node: ts.Node): void {
    if (ts.getCombinedModifierFlags(node as ts.Declaration) & ts.ModifierFlags.Private) return;
    if (ts.isTypeReferenceNode(node) || ts.isExpressionWithTypeArguments(node)) {
      const name = ts.isTypeReferenceNode(node) ? node.typeName : node.expression;
      const target = checker.getSymbolAtLocation(name);
      if (target !== undefined) follow(unaliased(target));
    }
    ts.forEachChild(node, visit);
  }

  function follow(symbol: ts.Symbol): void {
    for (const declaration of symbol.declarations ?? []) {
      if (!ours(declaration) || visited.has(declaration)) continue;
      visited.add(declaration);
      if (symbol.flags & named && !exported.has(symbol)) {
        const file = declaration.getSourceFile().fileName.slice(packageDir.length);
        unnamed.add(`${symbol.name} (${file})`);
      }
      visit(declaration);
    }
  }

  for (const symbol of exported) follow(symbol);
  return [...unnamed].sort();
}
