import { defineLifecycleJourneys } from './lifecycle-suite.js';

defineLifecycleJourneys(true);
