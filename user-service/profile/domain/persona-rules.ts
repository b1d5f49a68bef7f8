import { Failure } from '../../platform/failure';

// The monolith's rules for a public persona, kept answer for answer (legacy/profile/profile.ts): a client
// must get the same failure from either backend.
export const MAX_DISPLAY_NAME_CHARACTERS = 100;
export const MAX_BIO_CHARACTERS = 20_000;
export const MAX_AVATAR_URL_CHARACTERS = 500;

/** Characters as PostgreSQL's varchar(n) and legacy count them: code points, where `length` counts UTF-16 units. */
function characterCount(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** null clears the display name. */
export function checkDisplayName(displayName: string | null): Failure | undefined {
  if (displayName === null || characterCount(displayName) <= MAX_DISPLAY_NAME_CHARACTERS) return undefined;
  return new Failure('PROFILE.DISPLAY_NAME_TOO_LONG', `displayName must be at most ${MAX_DISPLAY_NAME_CHARACTERS} characters`);
}

export function checkBio(bio: string | null): Failure | undefined {
  if (bio === null || characterCount(bio) <= MAX_BIO_CHARACTERS) return undefined;
  return new Failure('PROFILE.BIO_TOO_LONG', `bio must be at most ${MAX_BIO_CHARACTERS} characters`);
}

function isLiteralHttpUrl(text: string): boolean {
  // WHATWG URL parsing forgives "http:host", surrounding spaces and inner tabs; an avatar must be literal.
  if (!/^https?:\/\/[^\s\u0000-\u001f\u007f]+$/i.test(text)) return false;
  // canParse rather than catching new URL's TypeError: under jest that error comes from another realm
  // and fails `instanceof TypeError`, which would turn a bad avatar into a 500 in tests.
  if (!URL.canParse(text)) return false;
  const url = new URL(text);
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
}

export function checkAvatarUrl(avatarUrl: string | null): Failure | undefined {
  if (avatarUrl === null || (characterCount(avatarUrl) <= MAX_AVATAR_URL_CHARACTERS && isLiteralHttpUrl(avatarUrl))) {
    return undefined;
  }
  return new Failure('PROFILE.INVALID_AVATAR_URL', `avatarUrl must be an http(s) URL of at most ${MAX_AVATAR_URL_CHARACTERS} characters`);
}
