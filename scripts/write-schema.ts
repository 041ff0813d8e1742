// Regenerates schemas/gradlens.schema.json from src/model/fields.ts (npm run schema).
import { writeFileSync, mkdirSync } from 'node:fs';
import { buildJsonSchema } from '../src/model/schema';
mkdirSync('schemas', { recursive: true });
writeFileSync('schemas/gradlens.schema.json', `${JSON.stringify(buildJsonSchema(), null, 2)}\n`);
console.log('wrote schemas/gradlens.schema.json');
