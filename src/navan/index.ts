export { createNavanClient } from './client.js';
export type {
  NavanClient, NavanClientOptions, DateRange, BookingQuery, TransactionQuery, ParsedRecord, Rejection, RecordResult, Page, BookingRef, DocumentOptions,
} from './client.js';
export { bookingSchema, transactionSchema, userSchema, BOOKING_TYPES, BOOKING_STATUSES, TRANSACTION_KINDS } from './schemas.js';
export type { Booking, Transaction, NavanUser, Trip, Invoice, BookingType, BookingStatus, TransactionKind } from './schemas.js';
