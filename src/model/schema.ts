// The JSON Schema VS Code uses for completion, hover docs and basic validation of
// *.gradlens.json (contributes.jsonValidation). Generated from the same field tables as the
// parser; schemas/gradlens.schema.json is this function's output (a unit test keeps them equal;
// regenerate with `npm run schema`).

import { LAYER_DEFS, LAYER_TYPES, ROOT_DEF, type FieldDef, type ObjectDef } from './fields';

type Json = Record<string, unknown>;

function fieldSchema(f: FieldDef): Json {
  const doc = { description: f.doc.replace(/`/g, ''), markdownDescription: f.doc };
  const dflt = f.default !== undefined ? { default: f.default } : {};
  const t = f.type;
  switch (t.kind) {
    case 'string':
      return { type: 'string', ...doc, ...dflt };
    case 'boolean':
      return { type: 'boolean', ...doc, ...dflt };
    case 'enum':
      return t.values.length === 1 ? { const: t.values[0], ...doc } : { enum: [...t.values], ...doc, ...dflt };
    case 'number': {
      const s: Json = { type: t.integer ? 'integer' : 'number', ...doc, ...dflt };
      if (t.min !== undefined) s[t.exclusiveMin ? 'exclusiveMinimum' : 'minimum'] = t.min;
      if (t.max !== undefined) s[t.exclusiveMax ? 'exclusiveMaximum' : 'maximum'] = t.max;
      return s;
    }
    case 'object':
      return { ...objectSchema(t.object), ...doc };
    case 'layers':
      return {
        type: 'array',
        minItems: 1,
        ...doc,
        items: { $ref: '#/definitions/layer' },
      };
  }
}

function objectSchema(def: ObjectDef): Json {
  const properties: Json = {};
  for (const f of def.fields) properties[f.name] = fieldSchema(f);
  const required = def.fields.filter((f) => f.required).map((f) => f.name);
  return { type: 'object', properties, ...(required.length ? { required } : {}), additionalProperties: false };
}

export function buildJsonSchema(): Json {
  const layerVariants = LAYER_TYPES.map((t) => ({
    if: { properties: { type: { const: t } }, required: ['type'] },
    then: { ...objectSchema(LAYER_DEFS[t]), description: LAYER_DEFS[t].doc, markdownDescription: LAYER_DEFS[t].doc },
  }));
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://gradient-lens.invalid/gradlens.schema.json',
    title: 'Gradient Lens model file',
    description: 'A neural network, its data and how it is trained, for Gradient Lens.',
    // Model files open as `json` (VS Code allows breakpoints in json, never in jsonc); these two
    // keep comments and trailing commas valid there, as the parser accepts them.
    allowComments: true,
    allowTrailingCommas: true,
    ...objectSchema(ROOT_DEF),
    definitions: {
      layer: {
        type: 'object',
        description: 'One layer; its fields depend on "type".',
        properties: {
          type: {
            enum: [...LAYER_TYPES],
            description: 'The kind of layer.',
            markdownDescription: 'The kind of layer:\n\n' + LAYER_TYPES.map((t) => `- \`${t}\`: ${LAYER_DEFS[t].doc}`).join('\n'),
            markdownEnumDescriptions: LAYER_TYPES.map((t) => LAYER_DEFS[t].doc),
          },
        },
        required: ['type'],
        defaultSnippets: [
          { label: 'dense', body: { type: 'dense', units: '^${1:64}', activation: '${2:relu}' } },
          { label: 'conv2d', body: { type: 'conv2d', filters: '^${1:8}', kernelSize: '^${2:3}', activation: '${3:relu}' } },
          { label: 'maxpool2d', body: { type: 'maxpool2d', poolSize: '^${1:2}' } },
          { label: 'flatten', body: { type: 'flatten' } },
        ],
        allOf: layerVariants,
      },
    },
  };
}
