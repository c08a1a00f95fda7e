import { exactnessSuite } from './exactness-suite.js';

exactnessSuite('sqlite');
