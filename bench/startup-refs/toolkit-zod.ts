/**
 * Diagnostic start-up reference (not a target): the toolkit-only bundle plus zod's full entry
 * point, one object schema built and used, as the action's modules do at import time.
 */
import * as core from '@actions/core';
import { HttpClient } from '@actions/http-client';
import { z } from 'zod';

const schema = z.looseObject({ message: z.string().optional() });
const client = new HttpClient('bench-toolkit-zod');
const res = await client.get(core.getInput('url', { required: true }));
schema.safeParse(JSON.parse((await res.readBody()) || '{}'));
