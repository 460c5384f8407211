// Finds user-visible string literals that bypass l10n.t, by walking the TypeScript syntax tree (precise where a
// regex over lines is not: calls span lines, and a literal inside l10n.t('…') is the key, not an offender).
//  - webview code: the text children of h(tag, attrs, …children), append/prepend/createTextNode arguments,
//    the attributes people read (title, aria-label, placeholder, alt) in h's attribute objects, and assignments
//    to textContent / innerText / title / placeholder / setAttribute('title' | 'aria-label' | …).
//  - src/extension/core (pure text builders): any literal with prose in it — two words, a letter then a space then a
//    letter — outside l10n.t, import lines and code comments.
// A literal is text when it has a letter; symbols, numbers and the ALLOWED non-language strings pass. A line that
// ends in `// l10n: <why>`, or follows a comment line `// l10n: <why>`, is an explained exemption.
import ts from 'typescript';

const TEXT_ATTRS = new Set(['title', 'aria-label', 'placeholder', 'alt', 'aria-description', 'aria-valuetext']);
const TEXT_PROPS = new Set(['textContent', 'innerText', 'title', 'placeholder', 'ariaLabel', 'alt']);
const TEXT_CALLS = new Set(['append', 'prepend', 'createTextNode', 'replaceChildren']);
/** Non-language strings shown as they are in every language: units, symbols, file formats, model names. */
export const ALLOWED = new Set(['ms', 'MB', 'CSV', 'JSON', 'SVG', 'PNG', 'F1', 'ONNX', '|sum|', '|output|', 'cos']);

const hasLetter = (s: string) => /\p{L}/u.test(s) && !ALLOWED.has(s.trim());
const isL10nCall = (n: ts.Node): n is ts.CallExpression =>
  ts.isCallExpression(n) &&
  ts.isPropertyAccessExpression(n.expression) &&
  n.expression.name.text === 't' &&
  /(^|\.)l10n$/.test(n.expression.expression.getText());

/** The literal parts of `node` (through ?:, +, ??, ||, parentheses) that read as language. */
function textParts(node: ts.Expression): ts.Node[] {
  if (ts.isParenthesizedExpression(node)) return textParts(node.expression);
  if (ts.isConditionalExpression(node)) return [...textParts(node.whenTrue), ...textParts(node.whenFalse)];
  if (
    ts.isBinaryExpression(node) &&
    [ts.SyntaxKind.PlusToken, ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.BarBarToken].includes(
      node.operatorToken.kind,
    )
  )
    return [...textParts(node.left), ...textParts(node.right)];
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return hasLetter(node.text) ? [node] : [];
  if (ts.isTemplateExpression(node)) {
    const literal = [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join(' ');
    return hasLetter(literal) ? [node] : [];
  }
  return [];
}

const propName = (n: ts.PropertyName) =>
  ts.isIdentifier(n) || ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n) ? n.text : undefined;

/** Offending literals in one webview source file, as `line: text`. */
export function webviewOffenders(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const found: ts.Node[] = [];
  const visit = (n: ts.Node): void => {
    if (isL10nCall(n)) {
      n.arguments.slice(1).forEach(visit);
      return;
    }
    if (ts.isCallExpression(n)) {
      const callee = n.expression;
      const name = ts.isIdentifier(callee)
        ? callee.text
        : ts.isPropertyAccessExpression(callee)
          ? callee.name.text
          : '';
      if (name === 'h') n.arguments.slice(2).forEach((a) => found.push(...textParts(a)));
      else if (TEXT_CALLS.has(name)) n.arguments.forEach((a) => found.push(...textParts(a)));
      else if (name === 'setAttribute' && n.arguments.length === 2) {
        const a0 = n.arguments[0];
        if (ts.isStringLiteral(a0) && TEXT_ATTRS.has(a0.text)) found.push(...textParts(n.arguments[1]));
      }
    }
    if (ts.isPropertyAssignment(n)) {
      const k = propName(n.name);
      if (k && TEXT_ATTRS.has(k)) found.push(...textParts(n.initializer));
    }
    if (
      ts.isBinaryExpression(n) &&
      n.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      ts.isPropertyAccessExpression(n.left) &&
      TEXT_PROPS.has(n.left.name.text)
    )
      found.push(...textParts(n.right));
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return report(sf, text, found);
}

/** Offending literals in one src/extension/core file: prose (two words) outside l10n.t. */
export function coreOffenders(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const found: ts.Node[] = [];
  const prose = (s: string) => /\p{L}\s+\p{L}/u.test(s);
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) return;
    if (isL10nCall(n)) {
      n.arguments.slice(1).forEach(visit);
      return;
    }
    if ((ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) && prose(n.text)) found.push(n);
    else if (ts.isTemplateExpression(n)) {
      if (prose([n.head.text, ...n.templateSpans.map((s) => s.literal.text)].join('\u0000'))) found.push(n);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return report(sf, text, found);
}

function report(sf: ts.SourceFile, text: string, found: ts.Node[]): string[] {
  const lines = text.split('\n');
  const out: string[] = [];
  for (const n of found) {
    const line = sf.getLineAndCharacterOfPosition(n.getStart()).line;
    if (/\/\/ l10n: /.test(lines[line]) || /^\s*\/\/ l10n: /.test(lines[line - 1] ?? '')) continue;
    out.push(`${line + 1}: ${n.getText().replace(/\s+/g, ' ').slice(0, 100)}`);
  }
  return out;
}
