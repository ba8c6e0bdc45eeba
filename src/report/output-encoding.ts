/** The encodings a result file can be written in. */

/** `utf8-bom`: UTF-8 with a byte order mark, so Excel reads Chinese text right (the default). `gb18030`: for old systems; it encodes every character, so nothing is lost. */
export const OUTPUT_ENCODINGS = ['utf8-bom', 'utf8', 'gb18030'] as const;
export type OutputEncoding = (typeof OUTPUT_ENCODINGS)[number];
