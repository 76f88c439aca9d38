// C0 controls, DEL and C1 controls (https://www.unicode.org/charts/PDF/U0000.pdf, U0080.pdf): matching them is the point.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// A lone UTF-16 surrogate is not text: MySQL's utf8mb4 cannot store it.
const LONE_SURROGATE = /\p{Cs}/u;

export const NICKNAME_MAX_CODE_POINTS = 64;
export const AVATAR_URL_MAX_LENGTH = 1024;

/** Code points, not UTF-16 units: an emoji is one character. */
export function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/** Why `value` is not a nickname, or null. Judged after trimming; a control character anywhere is refused. */
export function nicknameProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'nickname must be a string';
  if (CONTROL.test(value)) return 'nickname must not contain control characters';
  if (LONE_SURROGATE.test(value)) return 'nickname must be valid Unicode text';
  const length = codePoints(value.trim());
  if (length < 1 || length > NICKNAME_MAX_CODE_POINTS) return `nickname must be 1 to ${NICKNAME_MAX_CODE_POINTS} characters after trimming`;
  return null;
}

/** Why `value` is not an avatar URL (null clears it, so it is one), or null. */
export function avatarUrlProblem(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value !== 'string') return 'avatarUrl must be an https:// URL or null';
  if (codePoints(value) > AVATAR_URL_MAX_LENGTH) return `avatarUrl must be at most ${AVATAR_URL_MAX_LENGTH} characters`;
  if (!/^https:\/\/\S+$/i.test(value) || CONTROL.test(value) || LONE_SURROGATE.test(value) || !isHttpsUrl(value)) {
    return 'avatarUrl must be an https:// URL or null';
  }
  return null;
}

function isHttpsUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.hostname !== '';
  } catch {
    return false;
  }
}
