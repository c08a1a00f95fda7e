import { z } from 'zod';

export const BOOKING_TYPES = ['HOTEL', 'FLIGHT', 'CAR', 'RAIL', 'TRANSPORTATION', 'BLACK_CAR'] as const;
export const BOOKING_STATUSES = ['CANCELED', 'VOIDED', 'CONFIRMED', 'TICKETED', 'ACCEPTED', 'UNKNOWN', 'REJECTED_BY_PROVIDER'] as const;
export const TRANSACTION_KINDS = [
  'transactions', 'card-transactions', 'connect-transactions', 'manual-transactions', 'repayments',
  'fees', 'adjustments', 'daily-rebates', 'disputes', 'statement-payments',
] as const;
export type BookingType = (typeof BOOKING_TYPES)[number];
export type BookingStatus = (typeof BOOKING_STATUSES)[number];
export type TransactionKind = (typeof TRANSACTION_KINDS)[number];

// Navan's amounts carry two decimals; String() of the parsed double prints the shortest round-trip
// form, which for such values is exactly the decimal Navan sent, so no precision is lost here.
const money = z
  .union([z.number(), z.string()])
  .nullish()
  .transform((v) => (v === null || v === undefined ? v : String(v)));

// Navan sends "" instead of an empty list for these.
const violations = z.unknown().transform((v) => (v === '' ? [] : v));

const MONEY_FIELDS = ['grandTotal', 'netCharge', 'usdGrandTotal', 'travelSpend', 'basePrice', 'tax', 'vat', 'resortFee', 'seatsFee', 'bookingFee', 'optimalPrice', 'lowestLogicalFare'] as const;

export const bookingSchema = z.looseObject({
  uuid: z.string().min(1),
  created: z.string().nullish(),
  lastModified: z.string().nullish(),
  bookingType: z.string().nullish(),
  bookingStatus: z.string().nullish(),
  tripUuids: z.array(z.string()).nullish(),
  currency: z.string().nullish(),
  invoice: z.string().nullish(),
  pdf: z.string().nullish(),
  booker: z.looseObject({ email: z.string().nullish() }).nullish(),
  passengers: z.array(z.looseObject({ person: z.looseObject({ email: z.string().nullish() }).nullish() })).nullish(),
  outOfPolicyViolations: violations,
  outOfPolicyViolationTypes: violations,
  ...Object.fromEntries(MONEY_FIELDS.map((f) => [f, money])) as Record<(typeof MONEY_FIELDS)[number], typeof money>,
});
export type Booking = z.infer<typeof bookingSchema>;

// Navan's ids are strings. A number in their place is a corrupt record, not an id to coerce: turning
// 12345 into "12345" would invent a record that Navan never had, so it is rejected instead.
const recordId = z.string().min(1);

export const transactionSchema = z.looseObject({
  id: recordId,
});
export type Transaction = z.infer<typeof transactionSchema>;

export const userSchema = z.looseObject({
  id: recordId,
  email: z.string().nullish(),
});
export type NavanUser = z.infer<typeof userSchema>;

export interface Trip { tripUuid: string; bookings: Booking[] }
export interface Invoice { bookingUuid: string; bookingId?: string | null; url: string; grandTotal?: string | null; currency?: string | null; created?: string | null }
