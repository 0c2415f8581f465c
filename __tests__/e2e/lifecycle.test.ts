import { defineLifecycleJourneys } from './lifecycle-suite.js';

defineLifecycleJourneys(false);
