export { startPagerDutyReceiver, validatePagerDutyEvent } from './pagerduty.js';
export type { PagerDutyReceiver, PagerDutyEvent } from './pagerduty.js';
export { startSlackReceiver, validateSlackMessage } from './slack.js';
export type { SlackReceiver, SlackMessage } from './slack.js';
export type { ScriptedFailure } from './scripted.js';
