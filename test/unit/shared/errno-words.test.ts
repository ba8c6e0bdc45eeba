import { describe, expect, it } from 'vitest';
import { errnoWords, isFileSystemRefusal } from '../../../src/shared/errno-words.js';

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: something, write`), { code });
}

describe('errnoWords', () => {
  it('says what a refused write means, with the code to search for', () => {
    expect(errnoWords(errno('ENOSPC'))).toBe('the disk is full (ENOSPC)');
    expect(errnoWords(errno('EACCES'))).toBe('permission denied (EACCES)');
    expect(errnoWords(errno('EROFS'))).toBe('the file system is read-only (EROFS)');
  });

  it('falls back to the message of an error it does not know', () => {
    expect(errnoWords(errno('EWHATEVER'))).toBe('EWHATEVER: something, write');
    expect(errnoWords('plain')).toBe('plain');
  });

  it('tells a file system refusal from a bug', () => {
    expect(isFileSystemRefusal(errno('ENOSPC'))).toBe(true);
    expect(isFileSystemRefusal(new TypeError('x is undefined'))).toBe(false);
  });
});
