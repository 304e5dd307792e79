/** xgrammar's bundle as text (bundlers' `?raw`), evaluated per instance in xgrammar.ts. */
declare module '@mlc-ai/web-xgrammar/lib/index.js?raw' {
  const source: string;
  export default source;
}
