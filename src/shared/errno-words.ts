/**
 * What a failed file operation means, in the words an ops person needs ("the disk is
 * full"), from Node's errno code. Messages quote the code too, for searching.
 */
const WORDS: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EACCES: 'permission denied',
  EPERM: 'the operation is not permitted',
  EROFS: 'the file system is read-only',
  ENOENT: 'the folder does not exist',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a folder',
  EIO: 'the disk reported an I/O error',
  EMFILE: 'too many files are open',
  ENAMETOOLONG: 'the name is too long',
};

/** The words for an errno code ("the disk is full" for ENOSPC), or undefined for a code not known here. */
export function errnoWordsOf(code: string): string | undefined {
  return Object.hasOwn(WORDS, code) ? WORDS[code] : undefined;
}

/** "the disk is full (ENOSPC)", or the error's own message when its code is not known here. */
export function errnoWords(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (typeof code === 'string' && WORDS[code]) return `${WORDS[code]} (${code})`;
  return error instanceof Error ? error.message : String(error);
}

/** Whether the error is a file system refusing a write (not a bug): a full disk, no permission, … */
export function isFileSystemRefusal(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && code in WORDS;
}
