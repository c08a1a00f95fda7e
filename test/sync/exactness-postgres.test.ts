import { exactnessSuite } from './exactness-suite.js';

exactnessSuite('postgres');
