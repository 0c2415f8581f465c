import { defineJourneys } from './journeys-suite.js';

defineJourneys(true);
