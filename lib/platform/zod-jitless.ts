import * as z from 'zod';

/**
 * Imported ahead of everything else in every function bundle (`esbuild.config.mjs`). zod compiles
 * a fast path with `new Function` on the first parse of each object schema; a function instance
 * parses most schemas once (config at cold start, content) or once per invocation, so the
 * compilation never pays for itself and lands on the cold start. zod reads the flag when it builds
 * an object schema, so it is set before any schema exists. Results are the same either way.
 */
z.config({ jitless: true });
