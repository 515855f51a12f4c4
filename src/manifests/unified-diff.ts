/** `--fix --diff`: what the fix changes in one file, as a unified diff `patch -p1` applies. */
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';

export function unifiedDiff(file: string, before: string, after: string): string {
  if (before === after) return '';
  const label = file === '<stdin>' ? 'stdin' : file;
  return createTwoFilesPatch(`a/${label}`, `b/${label}`, before, after, undefined, undefined, {
    context: 3,
    headerOptions: FILE_HEADERS_ONLY,
  });
}
