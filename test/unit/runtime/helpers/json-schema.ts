/**
 * A small JSON Schema validator for the keywords the summary schema uses: type, required,
 * properties, items, anyOf, enum, minimum, additionalProperties (as a schema); and for
 * speedscope's schema: const, definitions and local `$ref`s ("#/definitions/Name"). Returns the
 * list of violations with their JSON paths; empty means valid. Unknown keywords fail loudly so
 * that the schema cannot silently outgrow this checker.
 */
type Schema = Record<string, unknown>;

const KNOWN = new Set(['$schema', '$id', 'title', 'type', 'required', 'properties', 'items', 'anyOf', 'enum', 'minimum', 'additionalProperties', 'const', 'definitions', '$ref']);

function typeOk(type: string, v: unknown): boolean {
  switch (type) {
    case 'null': return v === null;
    case 'boolean': return typeof v === 'boolean';
    case 'string': return typeof v === 'string';
    case 'number': return typeof v === 'number' && Number.isFinite(v);
    case 'integer': return Number.isInteger(v);
    case 'array': return Array.isArray(v);
    case 'object': return typeof v === 'object' && v !== null && !Array.isArray(v);
    default: throw new Error(`schema type ${type} is not supported by this validator`);
  }
}

export function validate(schema: Schema, value: unknown, at = '$', root: Schema = schema): string[] {
  for (const k of Object.keys(schema)) if (!KNOWN.has(k)) throw new Error(`schema keyword ${k} at ${at} is not supported by this validator`);
  const errors: string[] = [];
  if (typeof schema.$ref === 'string') {
    const m = /^#\/definitions\/(.+)$/.exec(schema.$ref);
    const target = m ? (root.definitions as Record<string, Schema> | undefined)?.[m[1] as string] : undefined;
    if (target === undefined) throw new Error(`schema $ref ${schema.$ref} at ${at} is not a local definition`);
    errors.push(...validate(target, value, at, root));
  }
  if ('const' in schema && value !== schema.const) errors.push(`${at}: expected ${JSON.stringify(schema.const)}, got ${JSON.stringify(value)?.slice(0, 60)}`);
  if (Array.isArray(schema.anyOf)) {
    const ok = (schema.anyOf as Schema[]).some((s) => validate(s, value, at, root).length === 0);
    if (!ok) errors.push(`${at}: matches none of anyOf (${JSON.stringify(value)?.slice(0, 60)})`);
  }
  if (typeof schema.type === 'string' && !typeOk(schema.type, value)) {
    errors.push(`${at}: expected ${schema.type}, got ${JSON.stringify(value)?.slice(0, 60)}`);
    return errors;
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) errors.push(`${at}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`);
  if (typeof schema.minimum === 'number' && typeof value === 'number' && value < schema.minimum) errors.push(`${at}: ${value} < minimum ${schema.minimum}`);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    for (const k of (schema.required as string[] | undefined) ?? []) if (!(k in obj)) errors.push(`${at}: missing required "${k}"`);
    const props = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const [k, v] of Object.entries(obj)) {
      if (props[k] !== undefined) errors.push(...validate(props[k], v, `${at}.${k}`, root));
      else if (typeof schema.additionalProperties === 'object' && schema.additionalProperties !== null) {
        errors.push(...validate(schema.additionalProperties as Schema, v, `${at}.${k}`, root));
      }
    }
  }
  if (Array.isArray(value) && typeof schema.items === 'object' && schema.items !== null) {
    value.forEach((item, i) => errors.push(...validate(schema.items as Schema, item, `${at}[${i}]`, root)));
  }
  return errors;
}
