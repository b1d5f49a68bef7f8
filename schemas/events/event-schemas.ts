import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

// Reads the published language as data, for any side that wants to hold an event to it (tests, consumers).

/** `profile.ProfileUpdated` with schemaVersion 1 lives in `profile/profile-updated.v1.schema.json`. */
export function eventSchemaFile(type: string, schemaVersion: number): string {
  const match = /^([a-z]+)\.([A-Z][A-Za-z]*)$/.exec(type);
  if (!match) throw new Error(`not an event type: ${type}`);
  const [, context, name] = match as unknown as [string, string, string];
  const kebab = name.replace(/(?<!^)([A-Z])/g, '-$1').toLowerCase();
  return path.join(__dirname, context, `${kebab}.v${schemaVersion}.schema.json`);
}

export type EventEnvelopeCheck = (envelope: Readonly<Record<string, unknown>>) => string[];

/**
 * Checks envelopes against the schema their own `type` and `schemaVersion` name; answers the violations
 * as text, none when the envelope is valid. Formats (uuid, date-time) are checked, not just annotated.
 */
export function publishedEventCheck(): EventEnvelopeCheck {
  // allowUnionTypes: the schemas say `"type": ["string", "null"]`, which strict mode would only warn about.
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  const validators = new Map<string, ValidateFunction>();
  return (envelope) => {
    if (typeof envelope.type !== 'string' || typeof envelope.schemaVersion !== 'number') return ['type or schemaVersion missing'];
    const file = eventSchemaFile(envelope.type, envelope.schemaVersion);
    let validate = validators.get(file);
    if (!validate) {
      validate = ajv.compile(JSON.parse(readFileSync(file, 'utf8')));
      validators.set(file, validate);
    }
    if (validate(envelope)) return [];
    return (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? error.keyword}`);
  };
}
