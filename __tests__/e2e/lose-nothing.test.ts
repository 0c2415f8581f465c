import { defineLoseNothingJourneys } from './lose-nothing-suite.js';

defineLoseNothingJourneys(false);
