/**
 * Diagnostic start-up reference (not a target): the toolkit-only bundle plus zod's smaller entry
 * point `zod/mini`, with the same schema as toolkit-zod.ts.
 */
import * as core from '@actions/core';
import { HttpClient } from '@actions/http-client';
import * as z from 'zod/mini';

const schema = z.looseObject({ message: z.optional(z.string()) });
const client = new HttpClient('bench-toolkit-zod-mini');
const res = await client.get(core.getInput('url', { required: true }));
schema.safeParse(JSON.parse((await res.readBody()) || '{}'));
