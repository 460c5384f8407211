// esbuild bundles .css files as text (loader 'text'); the apps inject them under the CSP nonce.
declare module '*.css' {
  const css: string;
  export default css;
}
