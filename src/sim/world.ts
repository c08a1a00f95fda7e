/** Reference data the generators draw from, and the wire formats of times and money. */

export interface Place {
  city: string;
  state: string | null;
  country: string;
  airportCode: string;
  currency: string;
}

export const PLACES: readonly Place[] = [
  { city: 'San Francisco', state: 'CA', country: 'US', airportCode: 'SFO', currency: 'USD' },
  { city: 'New York', state: 'NY', country: 'US', airportCode: 'JFK', currency: 'USD' },
  { city: 'Chicago', state: 'IL', country: 'US', airportCode: 'ORD', currency: 'USD' },
  { city: 'Austin', state: 'TX', country: 'US', airportCode: 'AUS', currency: 'USD' },
  { city: 'Seattle', state: 'WA', country: 'US', airportCode: 'SEA', currency: 'USD' },
  { city: 'Boston', state: 'MA', country: 'US', airportCode: 'BOS', currency: 'USD' },
  { city: 'Denver', state: 'CO', country: 'US', airportCode: 'DEN', currency: 'USD' },
  { city: 'Atlanta', state: 'GA', country: 'US', airportCode: 'ATL', currency: 'USD' },
  { city: 'Toronto', state: 'ON', country: 'CA', airportCode: 'YYZ', currency: 'CAD' },
  { city: 'London', state: null, country: 'GB', airportCode: 'LHR', currency: 'GBP' },
  { city: 'Paris', state: null, country: 'FR', airportCode: 'CDG', currency: 'EUR' },
  { city: 'Berlin', state: null, country: 'DE', airportCode: 'BER', currency: 'EUR' },
  { city: 'Amsterdam', state: null, country: 'NL', airportCode: 'AMS', currency: 'EUR' },
  { city: 'Tel Aviv', state: null, country: 'IL', airportCode: 'TLV', currency: 'ILS' },
];

/** Units of currency per US dollar. */
export const USD_RATES: Record<string, number> = { USD: 1, CAD: 1.36, GBP: 0.79, EUR: 0.92, ILS: 3.7 };

export const AIRLINES = [
  { code: 'UA', name: 'United Airlines', alliance: 'STAR_ALLIANCE' },
  { code: 'AA', name: 'American Airlines', alliance: 'ONEWORLD' },
  { code: 'DL', name: 'Delta Air Lines', alliance: 'SKYTEAM' },
  { code: 'BA', name: 'British Airways', alliance: 'ONEWORLD' },
  { code: 'LH', name: 'Lufthansa', alliance: 'STAR_ALLIANCE' },
  { code: 'AF', name: 'Air France', alliance: 'SKYTEAM' },
  { code: 'AS', name: 'Alaska Airlines', alliance: 'ONEWORLD' },
] as const;

export const HOTELS = [
  { chain: 'MARRIOTT', name: 'Marriott' },
  { chain: 'HILTON', name: 'Hilton' },
  { chain: 'HYATT', name: 'Hyatt' },
  { chain: 'IHG', name: 'Holiday Inn' },
  { chain: 'ACCOR', name: 'Novotel' },
] as const;

export const CAR_VENDORS = [{ code: 'ZE', name: 'Hertz' }, { code: 'ZI', name: 'Avis' }, { code: 'ET', name: 'Enterprise' }, { code: 'ZD', name: 'Budget' }] as const;
export const RAIL_VENDORS = [{ code: '2V', name: 'Amtrak' }, { code: '9F', name: 'Eurostar' }, { code: '2C', name: 'SNCF' }, { code: 'DB', name: 'Deutsche Bahn' }] as const;
export const TRANSPORT_VENDORS = [{ code: 'UB', name: 'Uber' }, { code: 'LY', name: 'Lyft' }, { code: 'SB', name: 'SuperShuttle' }] as const;
export const BLACK_CAR_VENDORS = [{ code: 'BL', name: 'Blacklane' }, { code: 'CA', name: 'Carey' }] as const;

export const DEPARTMENTS = ['Engineering', 'Sales', 'Marketing', 'Finance', 'Operations', 'Customer Success', 'Legal', 'People'] as const;
export const COST_CENTERS = ['CC-1000', 'CC-1100', 'CC-2000', 'CC-2100', 'CC-3000', 'CC-4000'] as const;
export const REGIONS = ['North America', 'EMEA', 'APAC'] as const;
export const SUBSIDIARIES = ['Acme Inc.', 'Acme Europe GmbH', 'Acme UK Ltd'] as const;
export const BILLABLE_ENTITIES = ['Acme US', 'Acme EU', 'Acme UK'] as const;
export const OFFICES = ['San Francisco HQ', 'New York', 'London', 'Berlin', 'Remote'] as const;
export const POLICY_LEVELS = ['Standard', 'Executive', 'Contractor'] as const;
export const PROJECTS = ['Apollo', 'Zephyr', 'Orion', 'Internal'] as const;
export const PURPOSES = ['Customer meeting', 'Conference', 'Team offsite', 'Training', 'Recruiting', 'Sales visit'] as const;
export const GIVEN_NAMES = ['Ava', 'Liam', 'Noa', 'Mateo', 'Sofia', 'Ethan', 'Maya', 'Lucas', 'Chloe', 'Omar', 'Hana', 'Jonas', 'Priya', 'Diego', 'Emma', 'Yuki', 'Leo', 'Zara', 'Ivan', 'Nora'] as const;
export const FAMILY_NAMES = ['Smith', 'Garcia', 'Cohen', 'Müller', 'Dubois', 'Tanaka', 'Patel', 'Johnson', 'Rossi', 'Nguyen', 'Kowalski', 'Silva', 'Brown', 'Levi', 'Andersen', 'Okafor'] as const;
export const CARD_BRANDS = [['VISA', 'Visa'], ['MC', 'MasterCard'], ['AMEX', 'American Express']] as const;
export const VIOLATION_TYPES = ['PRICE', 'CABIN_CLASS', 'ADVANCE_BOOKING', 'HOTEL_RATE', 'CAR_CLASS'] as const;
export const MERCHANTS = [
  ['Blue Bottle Coffee', 'RESTAURANTS'], ['Uber', 'TRANSPORTATION'], ['Delta Air Lines', 'AIRLINES'], ['Marriott', 'LODGING'],
  ['WeWork', 'OFFICE_SERVICES'], ['Amazon Web Services', 'SOFTWARE'], ['Staples', 'OFFICE_SUPPLIES'], ['Shell', 'FUEL'],
  ['Sweetgreen', 'RESTAURANTS'], ['Zoom', 'SOFTWARE'], ['Hertz', 'CAR_RENTAL'], ['Eurostar', 'RAIL'],
] as const;
export const GL_CODES = [['6100', 'Travel - Airfare'], ['6110', 'Travel - Lodging'], ['6120', 'Travel - Ground'], ['6200', 'Meals & Entertainment'], ['6300', 'Software'], ['6400', 'Office Supplies']] as const;

export const DAY_MS = 86_400_000;

const pad2 = (n: number) => (n < 10 ? '0' : '') + n;

/**
 * UTC calendar date of a day number (days since 1970-01-01), by Howard Hinnant's civil_from_days.
 * Date#toISOString was a quarter of the cost of generating a booking; this is several times faster.
 */
function civil(days: number): string {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${y}-${pad2(m)}-${pad2(d)}`;
}

/** `2021-02-03T11:25:30` (UTC, whole seconds). */
export function isoDateTimeSeconds(ms: number): string {
  const days = Math.floor(ms / DAY_MS);
  const s = Math.floor((ms - days * DAY_MS) / 1000);
  return `${civil(days)}T${pad2(Math.floor(s / 3600))}:${pad2(Math.floor(s / 60) % 60)}:${pad2(s % 60)}`;
}

/** `2021-02-03T11:25:30.00Z`: the booking API's date-time, with hundredths of a second. */
export function bookingTimestamp(ms: number): string {
  const cs = Math.floor((((ms % 1000) + 1000) % 1000) / 10);
  return `${isoDateTimeSeconds(ms)}.${pad2(cs)}Z`;
}

export function isoDate(ms: number): string {
  return civil(Math.floor(ms / DAY_MS));
}

/** Money in bookings: a JSON number rounded to cents. */
export function money(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Money in transactions: a string with exactly two decimals. */
export function moneyString(x: number): string {
  return (Math.round(x * 100) / 100).toFixed(2);
}

export function startOfUtcDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}
