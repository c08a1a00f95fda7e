import { Rng, UUID_DRAWS, fraction, indexedUuid, mix32 } from './rng.js';
import type { UserDirectory } from './users.js';
import {
  AIRLINES, BLACK_CAR_VENDORS, CARD_BRANDS, CAR_VENDORS, DAY_MS, HOTELS, OFFICES, PLACES, PROJECTS, PURPOSES, RAIL_VENDORS,
  TRANSPORT_VENDORS, USD_RATES, VIOLATION_TYPES, bookingTimestamp, isoDate, isoDateTimeSeconds, money, startOfUtcDay, type Place,
} from './world.js';

export const BOOKING_TYPES = ['HOTEL', 'FLIGHT', 'CAR', 'RAIL', 'TRANSPORTATION', 'BLACK_CAR'] as const;
export const BOOKING_STATUSES = ['CANCELED', 'VOIDED', 'CONFIRMED', 'TICKETED', 'ACCEPTED', 'UNKNOWN', 'REJECTED_BY_PROVIDER'] as const;
export type BookingType = (typeof BOOKING_TYPES)[number];

export type Booking = Record<string, unknown> & { uuid: string; created: string; lastModified: string; bookingType: string; bookingStatus: string };

/** The fields filters look at, drawn first so a filter scan never builds whole records. */
export interface BookingFacts {
  createdMs: number;
  type: string;
  status: string;
  startMs: number;
  lastModifiedMs: number;
}

/** Bookings are created over the two years before the anchor. */
export const BOOKING_HISTORY_MS = 730 * DAY_MS;
/** A generated booking is last modified at most this long after its creation. */
export const MAX_MODIFY_LAG_MS = 45 * DAY_MS;

const STREAM_BOOKING = 0xb00c;
// US cities are where most of the company travels from.
const PLACE_WEIGHTS = PLACES.map((p, k) => [p, k < 8 ? 4 : 1] as const);
const STREAM_CREATED = 0xc7ea;
const STREAM_TRIP = 0x7219;

interface Trip {
  uuid: string;
  travelerIdx: number;
  leadDays: number;
  nights: number;
  origin: Place;
  destination: Place;
  purpose: string;
}

/**
 * Booking i, rebuilt from (seed, i) on demand. `created` increases with i, so a creation window
 * is an index range found by binary search. Neighbouring bookings often share a trip (same
 * traveller, same dates), as a flight, a hotel and a car booked together do.
 */
export class BookingGenerator {
  readonly #base: number;
  readonly #stepMs: number;

  constructor(
    private readonly seed: number,
    readonly count: number,
    private readonly anchor: number,
    private readonly users: UserDirectory,
    private readonly baseUrl: () => string,
  ) {
    this.#base = anchor - BOOKING_HISTORY_MS;
    this.#stepMs = BOOKING_HISTORY_MS / Math.max(1, count);
  }

  /** Creation time of generated booking i, in ms with hundredths of a second. */
  createdMs(i: number): number {
    const offset = (i + 0.05 + 0.9 * fraction(this.seed, STREAM_CREATED, i)) * this.#stepMs;
    return this.#base + Math.floor(offset / 10) * 10;
  }

  uuid(i: number): string {
    return indexedUuid(Rng.for(this.seed, STREAM_BOOKING, i), i);
  }

  /** The traveller of booking i, for transactions that link to it. */
  travelerIndex(i: number): number {
    return this.#trip(this.#tripKey(Rng.for(this.seed, STREAM_BOOKING, i), i)).travelerIdx;
  }

  facts(i: number): BookingFacts {
    return this.#drawFacts(Rng.for(this.seed, STREAM_BOOKING, i), i).facts;
  }

  #tripKey(rng: Rng, i: number): number {
    rng.skip(UUID_DRAWS); // the uuid is the first draw, so uuid(i) is cheap
    // One booking in four is a trip of its own; the rest group in threes.
    return rng.chance(0.25) ? mix32(i, 0x5010) : Math.floor(i / 3);
  }

  #drawFacts(rng: Rng, i: number): { facts: BookingFacts; tripKey: number } {
    const tripKey = this.#tripKey(rng, i);
    const leadDays = this.#leadDays(Rng.for(this.seed, STREAM_TRIP, tripKey));
    const createdMs = this.createdMs(i);
    const type = rng.weighted<BookingType>([['FLIGHT', 35], ['HOTEL', 30], ['CAR', 12], ['RAIL', 8], ['TRANSPORTATION', 10], ['BLACK_CAR', 5]]);
    const roll = rng.next();
    let status: string;
    if (roll < 0.08) status = 'CANCELED';
    else if (roll < 0.09 && type === 'FLIGHT') status = 'VOIDED';
    else if (roll < 0.095) status = 'REJECTED_BY_PROVIDER';
    else if (type === 'FLIGHT' || type === 'RAIL') status = 'TICKETED';
    else if (type === 'TRANSPORTATION' || type === 'BLACK_CAR') status = rng.chance(0.5) ? 'ACCEPTED' : 'CONFIRMED';
    else status = 'CONFIRMED';
    const startMs = startOfUtcDay(createdMs) + leadDays * DAY_MS;
    const lag = Math.min(MAX_MODIFY_LAG_MS, Math.max(0, this.anchor - 1000 - createdMs));
    const lastModifiedMs = createdMs + Math.floor((rng.chance(0.6) ? 0 : rng.next() * lag) / 10) * 10;
    return { facts: { createdMs, type, status, startMs, lastModifiedMs }, tripKey };
  }

  // Drawn first in a trip, so a filter on start dates reads it without building the trip.
  #leadDays(rng: Rng): number {
    return rng.weighted([[rng.range(0, 3), 3], [rng.range(4, 21), 5], [rng.range(22, 90), 2]]);
  }

  #trip(key: number): Trip {
    const rng = Rng.for(this.seed, STREAM_TRIP, key);
    const leadDays = this.#leadDays(rng);
    const origin = rng.weighted(PLACE_WEIGHTS);
    let destination = rng.pick(PLACES);
    if (destination === origin) destination = PLACES[(PLACES.indexOf(origin) + 1) % PLACES.length]!;
    return {
      uuid: rng.uuid(),
      travelerIdx: rng.int(this.users.count),
      leadDays,
      nights: rng.range(1, 6),
      origin,
      destination,
      purpose: rng.pick(PURPOSES),
    };
  }

  /** The whole booking i in the API's shape. */
  booking(i: number): Booking {
    const rng = Rng.for(this.seed, STREAM_BOOKING, i);
    const { facts, tripKey } = this.#drawFacts(rng, i);
    const uuid = this.uuid(i);
    const trip = this.#trip(tripKey);
    return this.#build(rng, uuid, facts, trip);
  }

  #build(rng: Rng, uuid: string, f: BookingFacts, trip: Trip): Booking {
    const traveler = this.users.person(trip.travelerIdx, f.type === 'FLIGHT' && trip.origin.country !== trip.destination.country);
    const travelerUser = this.users.user(trip.travelerIdx);
    const byAssistant = rng.chance(0.2) && traveler.managerUuid !== null;
    const booker = byAssistant ? this.users.person(Math.floor((trip.travelerIdx - 1) / 8)) : traveler;
    const passengers: { travelerType: string; status: string; person: unknown }[] = [{ travelerType: 'PASSENGER', status: 'ENABLED', person: traveler }];
    if (rng.chance(0.05)) passengers.push({ travelerType: 'GUEST', status: 'ENABLED', person: this.users.person(rng.int(this.users.count)) });

    const local = f.type === 'TRANSPORTATION' || f.type === 'BLACK_CAR';
    const nights = local ? 0 : trip.nights;
    const endMs = f.startMs + nights * DAY_MS;
    const currency = rng.chance(0.8) ? 'USD' : f.type === 'HOTEL' || f.type === 'CAR' || local ? trip.destination.currency : trip.origin.currency;
    const rate = USD_RATES[currency] ?? 1;
    const domestic = trip.origin.country === trip.destination.country;

    let vendor: string;
    let providerCode: string;
    let flightNumber: string | null = null;
    let alliance: string | null = null;
    let hotelChain: string | null = null;
    let baseUsd: number;
    let cabin: string | null = null;
    let fareClass: string | null = null;
    switch (f.type) {
      case 'FLIGHT': {
        const a = rng.pick(AIRLINES);
        vendor = a.name;
        providerCode = a.code;
        flightNumber = `${a.code}${rng.range(10, 2999)}`;
        alliance = a.alliance;
        cabin = rng.weighted([['ECONOMY', 8], ['PREMIUM_ECONOMY', 1], ['BUSINESS', 1]]);
        fareClass = rng.pick(['Y', 'B', 'M', 'K', 'J']);
        baseUsd = (domestic ? rng.range(120, 700) : rng.range(450, 2400)) * (cabin === 'BUSINESS' ? 2.8 : 1);
        break;
      }
      case 'HOTEL': {
        const h = rng.pick(HOTELS);
        vendor = `${h.name} ${trip.destination.city}`;
        providerCode = h.chain.slice(0, 2);
        hotelChain = h.chain;
        baseUsd = rng.range(120, 420) * Math.max(1, nights);
        break;
      }
      case 'CAR': {
        const c = rng.pick(CAR_VENDORS);
        vendor = c.name;
        providerCode = c.code;
        baseUsd = rng.range(45, 130) * Math.max(1, nights);
        break;
      }
      case 'RAIL': {
        const r = rng.pick(RAIL_VENDORS);
        vendor = r.name;
        providerCode = r.code;
        cabin = rng.chance(0.7) ? 'STANDARD' : 'FIRST';
        baseUsd = rng.range(40, 320);
        break;
      }
      case 'TRANSPORTATION': {
        const t = rng.pick(TRANSPORT_VENDORS);
        vendor = t.name;
        providerCode = t.code;
        baseUsd = rng.range(14, 95);
        break;
      }
      default: {
        const b = rng.pick(BLACK_CAR_VENDORS);
        vendor = b.name;
        providerCode = b.code;
        baseUsd = rng.range(80, 260);
      }
    }
    const basePrice = money(baseUsd * rate);
    const tax = money(basePrice * (f.type === 'HOTEL' ? 0.14 : 0.075));
    const vat = currency === 'EUR' || currency === 'GBP' ? money(basePrice * 0.2) : 0;
    const resortFee = f.type === 'HOTEL' && rng.chance(0.1) ? money(25 * rate) : 0;
    const seatsFee = f.type === 'FLIGHT' && rng.chance(0.2) ? money(rng.range(15, 80) * rate) : 0;
    const bookingFee = rng.chance(0.1) ? money(10 * rate) : 0;
    const grandTotal = money(basePrice + tax + vat + resortFee + seatsFee + bookingFee);
    const optimalPrice = money(basePrice * (0.82 + rng.next() * 0.2));
    const outOfPolicy = rng.chance(0.12);
    const cancelled = f.status === 'CANCELED';
    const cancelledMs = cancelled ? f.lastModifiedMs : null;
    const brand = rng.pick(CARD_BRANDS);
    const last4 = rng.digits(4);
    const seg = (fromP: Place, toP: Place, startS: number, hours: number) => ({
      startTimestamp: startS,
      endTimestamp: startS + Math.round(hours * 3600),
      departure: location(fromP),
      arrival: location(toP),
      providerCode,
      providerName: vendor,
      flightNumber,
      airlineAlliance: alliance,
      hotelChain,
      startLocalDateTime: isoDateTimeSeconds(startS * 1000),
      endLocalDateTime: isoDateTimeSeconds((startS + Math.round(hours * 3600)) * 1000),
      cabin,
      fareClass,
    });
    const departS = Math.floor(f.startMs / 1000) + rng.range(6, 20) * 3600;
    const segments: unknown[] = [];
    const roundTrip = (f.type === 'FLIGHT' || f.type === 'RAIL') && rng.chance(0.7);
    if (f.type === 'HOTEL') segments.push(seg(trip.destination, trip.destination, Math.floor(f.startMs / 1000) + 15 * 3600, nights * 24 - 4));
    else if (f.type === 'CAR') segments.push(seg(trip.destination, trip.destination, departS, nights * 24));
    else if (local) segments.push(seg(trip.destination, trip.destination, departS, 0.5 + rng.next()));
    else {
      const hours = domestic ? 1.5 + rng.next() * 4 : 6 + rng.next() * 8;
      segments.push(seg(trip.origin, trip.destination, departS, hours));
      if (roundTrip) segments.push(seg(trip.destination, trip.origin, Math.floor(endMs / 1000) + rng.range(8, 20) * 3600, hours));
    }
    const miles = f.type === 'FLIGHT' || f.type === 'RAIL' ? (domestic ? rng.range(200, 2600) : rng.range(3000, 6500)) * (roundTrip ? 2 : 1) : 0;
    const carbon = money(miles * (f.type === 'FLIGHT' ? 0.18 : 0.04) + (f.type === 'HOTEL' ? nights * 15 : 0));
    const violationType = rng.pick(VIOLATION_TYPES);
    const uuidLink = (file: string) => `${this.baseUrl()}/v1/bookings/${uuid}/${file}`;
    const passengerCount = passengers.length;

    return {
      uuid,
      created: bookingTimestamp(f.createdMs),
      lastModified: bookingTimestamp(f.lastModifiedMs),
      bookingId: rng.letters(6),
      confirmationNumber: rng.digits(9),
      pcc: rng.pick(['3E7H', 'K1LF', 'W8Q2']),
      tripUuids: [trip.uuid],
      bookingType: f.type,
      bookingStatus: f.status,
      cancelledAt: cancelledMs === null ? null : bookingTimestamp(cancelledMs),
      cancellationReason: cancelled ? rng.pick(['Trip cancelled', 'Plans changed', 'Booked in error']) : null,
      vendor,
      preferredVendor: rng.chance(0.6),
      flight: flightNumber,
      cabin,
      fareClass,
      inventory: rng.pick(f.type === 'FLIGHT' ? ['SABRE', 'AMADEUS', 'NDC'] : f.type === 'HOTEL' ? ['BOOKING_COM', 'EXPEDIA', 'SABRE'] : ['SABRE', 'DIRECT']),
      bookingMethod: rng.chance(0.93) ? 'ONLINE' : 'AGENT',
      startDate: isoDate(f.startMs),
      endDate: isoDate(endMs),
      bookingDuration: Math.max(1, nights),
      leadTimeInDays: Math.round((f.startMs - startOfUtcDay(f.createdMs)) / DAY_MS),
      booker,
      passengers,
      origin: location(local || f.type === 'HOTEL' || f.type === 'CAR' ? trip.destination : trip.origin),
      destination: location(trip.destination),
      segments,
      currency,
      currencyExhangeRateFromUsd: rate,
      basePrice,
      unitaryPrice: money(basePrice / Math.max(1, nights)),
      optimalPrice,
      tax,
      vat,
      gst: currency === 'CAD' ? money(basePrice * 0.05) : 0,
      hst: 0,
      qst: 0,
      resortFee,
      tripFee: 0,
      bookingFee,
      vipFee: 0,
      seatsFee,
      extrasFees: 0,
      airlineCreditCardSurcharge: 0,
      exchangeAmount: 0,
      exchangeFee: 0,
      netCharge: grandTotal,
      grandTotal,
      usdGrandTotal: money(grandTotal / rate),
      travelSpend: cancelled ? 0 : money(grandTotal / rate),
      saving: money(Math.max(0, optimalPrice * 1.15 - basePrice) / rate),
      savingMissed: outOfPolicy ? money(Math.max(0, basePrice - optimalPrice) / rate) : 0,
      paymentSchedule: f.type === 'HOTEL' ? rng.pick(['NOW', 'LATER']) : 'NOW',
      paymentMethod: `${brand[0]} ${last4}`,
      nameOnCreditCard: traveler.name,
      paymentMethodUsed: rng.chance(0.85) ? 'COMPANY_CARD' : 'PERSONAL_CARD',
      paymentCreditCardTypeName: brand[1],
      companyPaymentMethod: true,
      statementDescription: `NAVAN*${vendor.toUpperCase().slice(0, 12)} ${rng.digits(10)}`,
      expensed: rng.chance(0.3),
      outOfPolicy,
      outOfPolicyDescription: outOfPolicy ? `${violationType.replace('_', ' ').toLowerCase()} outside the ${travelerUser.policyLevel} policy` : null,
      // The live API sends "" (not [] or null) when there are no violations.
      outOfPolicyViolations: outOfPolicy ? `${violationType} limit exceeded` : '',
      outOfPolicyViolationTypes: outOfPolicy ? [violationType] : '',
      approverReason: outOfPolicy ? rng.pick(['Client meeting requires it', 'No cheaper option on the date', 'Approved by VP']) : null,
      approverEmail: outOfPolicy ? traveler.managerEmail : null,
      approvalChangedAt: outOfPolicy ? bookingTimestamp(f.createdMs + 3_600_000) : null,
      approvalStatus: outOfPolicy ? 'APPROVED' : 'NOT_REQUIRED',
      tripName: `${trip.destination.city} - ${trip.purpose}`,
      tripDescription: `${trip.purpose} in ${trip.destination.city}`,
      tripLength: f.type === 'FLIGHT' ? (domestic ? 'Short haul' : 'Long haul') : null,
      purpose: trip.purpose,
      reason: trip.purpose,
      companyOffice: rng.pick(OFFICES),
      projects: rng.chance(0.4) ? [rng.pick(PROJECTS)] : [],
      billToClient: rng.chance(0.1),
      customFields: [
        { name: 'Project code', value: `P-${rng.range(100, 999)}` },
        { name: 'Trip reason', value: trip.purpose },
      ],
      etickets: f.type === 'FLIGHT' && f.status === 'TICKETED' ? passengers.map(() => `0${rng.digits(12)}`) : [],
      seats: f.type === 'FLIGHT' ? segments.map(() => `${rng.range(1, 40)}${rng.pick(['A', 'B', 'C', 'D', 'E', 'F'])}`) : [],
      invoice: uuidLink('invoice.pdf'),
      pdf: uuidLink('itinerary.pdf'),
      cnr: { publishedPrice: money(basePrice * 1.1), cnrCodes: rng.chance(0.2) ? [`CNR${rng.digits(4)}`] : [] },
      flightMiles: f.type === 'FLIGHT' ? miles : 0,
      trainMiles: f.type === 'RAIL' ? miles : 0,
      carbonEmissions: carbon,
      carbonOffsetCost: money(carbon * 0.012),
      tripBucksEarned: outOfPolicy ? 0 : money(Math.max(0, optimalPrice - basePrice) * 0.2),
      tripBucksEarnedUsd: outOfPolicy ? 0 : money((Math.max(0, optimalPrice - basePrice) * 0.2) / rate),
      billableEntities: [traveler.billableEntity],
      costCenters: [traveler.costCenter],
      departments: [traveler.department],
      regions: [traveler.region],
      subsidiaries: [traveler.subsidiary],
      domestic,
      routeType: f.type === 'FLIGHT' || f.type === 'RAIL' ? (roundTrip ? 'ROUND_TRIP' : 'ONE_WAY') : null,
      numberOfPassengers: passengerCount,
      policyLevel: travelerUser.policyLevel,
      invoiceNumber: `INV-${rng.digits(8)}`,
      inventorySource: 'NAVAN',
    } as Booking;
  }
}

function location(p: Place): { country: string; state: string | null; city: string; airportCode: string } {
  return { country: p.country, state: p.state, city: p.city, airportCode: p.airportCode };
}
