/**
 * JSON Schema validation of emitted files with ajv: the OCI runtime spec's own schemas
 * (test/oci-spec/, draft-04) and a stricter transcription of its seccomp object that refuses
 * unknown keys (test/golden/oci-seccomp.schema.json), and the Security Profiles Operator's
 * SeccompProfile CRD (test/spo/, its openAPIV3Schema as Kubernetes applies it).
 *
 * A JSON-schema validator sees numbers as doubles: above 2^53 it cannot tell 2^64 from
 * 2^64 - 1, so exact uint64 values are checked on the text by the emitter tests instead.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import Ajv04 from 'ajv-draft-04';
import { parse as parseYaml } from 'yaml';
import { ROOT } from './helpers.js';

export type Validator = (value: unknown) => string | undefined;

/** The first error as "/path: message", or undefined when the value is valid. */
function firstError(validate: ValidateFunction): Validator {
  return (value) => {
    if (validate(value)) return undefined;
    const e = validate.errors![0]!;
    const where =
      e.keyword === 'additionalProperties'
        ? `${e.instancePath}/${(e.params as { additionalProperty: string }).additionalProperty}`
        : e.instancePath;
    return `${where || '/'}: ${e.message}`;
  };
}

export function ociSchemaValidator(): Validator {
  const schema = JSON.parse(readFileSync(join(ROOT, 'test', 'golden', 'oci-seccomp.schema.json'), 'utf8'));
  return firstError(new Ajv({ allErrors: false, strict: true }).compile(schema));
}

/**
 * The runtime spec's published schema (draft-04, files referring to each other by name) at a
 * JSON pointer: `config-schema.json` is a whole config.json, `config-linux.json#/linux/properties/seccomp`
 * the seccomp object.
 */
export function ociSpecValidator(ref: string): Validator {
  const dir = join(ROOT, 'test', 'oci-spec');
  // Strict mode is off: the spec's files keep sub-schemas under plain keys ("linux": {...}) that refs point into.
  // A CommonJS module: under NodeNext its default import is module.exports, whose .default is the class.
  const ajv = new Ajv04.default({ strict: false });
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')))
    ajv.addSchema(JSON.parse(readFileSync(join(dir, file), 'utf8')), file);
  const validate = ajv.getSchema(ref);
  if (!validate) throw new Error(`no schema at ${ref}`);
  return firstError(validate);
}

type Schema = Record<string, unknown>;

/**
 * kubectl's default --validate=strict: the API server rejects fields the schema does not
 * declare (rather than pruning them), so every object schema with properties is closed.
 */
function closeObjects(schema: Schema): Schema {
  const out: Schema = { ...schema };
  if (out.properties && !out['x-kubernetes-preserve-unknown-fields']) {
    out.properties = Object.fromEntries(Object.entries(out.properties as Record<string, Schema>).map(([k, v]) => [k, closeObjects(v)]));
    out.additionalProperties ??= false;
  }
  if (out.items) out.items = closeObjects(out.items as Schema);
  return out;
}

/** The CRD's schema for one API version, with Kubernetes' formats and list semantics. */
export function crdValidator(version: string): Validator {
  const crd = parseYaml(readFileSync(join(ROOT, 'test', 'spo', 'seccompprofile.crd.yaml'), 'utf8')) as {
    spec: { versions: { name: string; schema: { openAPIV3Schema: Schema } }[] };
  };
  const found = crd.spec.versions.find((v) => v.name === version);
  if (!found) throw new Error(`the CRD has no version ${version}`);
  const ajv = new Ajv({ allErrors: false, strict: true });
  // Kubernetes' integer formats (k8s.io/kube-openapi): the value must fit the Go type.
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 63) && n < 2 ** 63 });
  ajv.addFormat('date-time', { type: 'string', validate: (s: string) => !Number.isNaN(Date.parse(s)) });
  // A "set" list holds no item twice (the API server refuses duplicates); the others only order or key items.
  ajv.addKeyword({
    keyword: 'x-kubernetes-list-type',
    type: 'array',
    schemaType: 'string',
    validate: (kind: string, data: unknown[]) => kind !== 'set' || new Set(data.map((d) => JSON.stringify(d))).size === data.length,
    errors: false,
  });
  ajv.addKeyword({ keyword: 'x-kubernetes-list-map-keys', schemaType: 'array' });
  return firstError(ajv.compile(closeObjects(found.schema.openAPIV3Schema)));
}
