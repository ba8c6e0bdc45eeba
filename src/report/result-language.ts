/** The languages a workbook's sheet names and summary are written in (`report.language`). */
export const RESULT_LANGUAGES = ['zh', 'en'] as const;
export type ResultLanguage = (typeof RESULT_LANGUAGES)[number];
