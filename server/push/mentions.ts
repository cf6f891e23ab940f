// The characters of a username (shared/api/auth.ts usernameSchema).
const NAME_CHAR = "A-Za-z0-9_.\\-";

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");

/**
 * True when `content` mentions `username` as `@username`: case-insensitive, not inside a longer
 * name or an e-mail address (`x@ana.org` is not `@ana`), and a sentence's full stop after the name
 * still counts (`thanks @ana.`).
 */
export function mentions(content: string | null, username: string): boolean {
  if (!content || !username) return false;
  const pattern = new RegExp(`(?<![${NAME_CHAR}@])@${escapeRegExp(username)}(?![A-Za-z0-9_\\-]|\\.[${NAME_CHAR}])`, "i");
  return pattern.test(content);
}
