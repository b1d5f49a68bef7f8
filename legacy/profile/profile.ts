import { Failure } from '../http/failure';

export const MAX_DISPLAY_NAME_CHARACTERS = 100;
export const MAX_BIO_CHARACTERS = 20_000;
export const MAX_AVATAR_URL_CHARACTERS = 500;

/** PostgreSQL's varchar(n) counts characters (code points); a JS string's length counts UTF-16 units. */
function characterCount(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

export function checkDisplayName(displayName: string | null): Failure | undefined {
  if (displayName === null || characterCount(displayName) <= MAX_DISPLAY_NAME_CHARACTERS) return undefined;
  return new Failure('PROFILE.DISPLAY_NAME_TOO_LONG', `displayName must be at most ${MAX_DISPLAY_NAME_CHARACTERS} characters`);
}

export function checkBio(bio: string | null): Failure | undefined {
  if (bio === null || characterCount(bio) <= MAX_BIO_CHARACTERS) return undefined;
  return new Failure('PROFILE.BIO_TOO_LONG', `bio must be at most ${MAX_BIO_CHARACTERS} characters`);
}

function isHttpUrl(text: string): boolean {
  // WHATWG URL parsing forgives "http:host" and surrounding spaces; a stored avatar must be literal.
  if (!/^https?:\/\/[^\s\u0000-\u001f\u007f]+$/i.test(text)) return false;
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch (error) {
    if (error instanceof TypeError) return false;
    throw error;
  }
}

export function checkAvatarUrl(avatarUrl: string | null): Failure | undefined {
  if (avatarUrl === null || (characterCount(avatarUrl) <= MAX_AVATAR_URL_CHARACTERS && isHttpUrl(avatarUrl))) {
    return undefined;
  }
  return new Failure('PROFILE.INVALID_AVATAR_URL', `avatarUrl must be an http(s) URL of at most ${MAX_AVATAR_URL_CHARACTERS} characters`);
}

export interface ProfileRow {
  readonly usr_id: string;
  readonly disp_nm: string | null;
  readonly bio_txt: string | null;
  readonly avatar_url: string | null;
  readonly updated_ts: Date | null;
}

export function profileFromRow(row: ProfileRow) {
  return {
    id: Number(row.usr_id),
    displayName: row.disp_nm,
    bio: row.bio_txt,
    avatarUrl: row.avatar_url,
    updatedAt: row.updated_ts?.toISOString() ?? null,
  };
}
