// The part of markdown-it that markdownEscape.test.ts uses (the package ships no types, and @types/markdown-it is
// not a dependency).
declare module 'markdown-it' {
  interface Options {
    html?: boolean;
    linkify?: boolean;
  }
  export default class MarkdownIt {
    constructor(options?: Options);
    render(src: string): string;
    renderInline(src: string): string;
  }
}
