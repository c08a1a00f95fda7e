import { Rng } from './rng.js';
import { COST_CENTERS, DEPARTMENTS, FAMILY_NAMES, GIVEN_NAMES, POLICY_LEVELS, REGIONS, SUBSIDIARIES, BILLABLE_ENTITIES } from './world.js';

const STREAM_USER = 0x05e5;

/** A user as GET /v1/users returns it (fields seen live). */
export interface SimUser {
  id: string;
  userName: string;
  name: { givenName: string; familyName: string };
  employeeId: string;
  department: string;
  costCentre: string;
  region: string;
  subsidiary: string;
  approver: string | null;
  managerEmail: string | null;
  active: boolean;
  emails: { value: string; primary: boolean }[];
  policyLevel: string;
}

/** A booking's Person: the same people, in the booking API's spelling (`employeedId` included). */
export interface SimPerson {
  uuid: string;
  name: string;
  email: string;
  employeedId: string;
  managerUuid: string | null;
  managerName: string | null;
  managerEmail: string | null;
  department: string;
  costCenter: string;
  region: string;
  subsidiary: string;
  billableEntity: string;
  passport?: { countryOfCitizenship: string; countryOfIssue: string; expiresOn: string; issuedOn: string };
}

/**
 * The company's employees. Bookings and transactions draw their travellers and cardholders from
 * here, so joins on email, department and cost centre make sense in the warehouse.
 */
export class UserDirectory {
  readonly #cache: (SimUser | undefined)[] = [];
  constructor(private readonly seed: number, readonly count: number) {}

  user(i: number): SimUser {
    const cached = this.#cache[i];
    if (cached) return cached;
    const rng = Rng.for(this.seed, STREAM_USER, i);
    const givenName = rng.pick(GIVEN_NAMES);
    const familyName = rng.pick(FAMILY_NAMES);
    const email = `${ascii(givenName)}.${ascii(familyName)}${i}@acme.example`.toLowerCase();
    const manager = i === 0 ? undefined : this.user(Math.floor((i - 1) / 8));
    const user: SimUser = {
      id: rng.uuid(),
      userName: email,
      name: { givenName, familyName },
      employeeId: `E${String(10000 + i)}`,
      department: rng.pick(DEPARTMENTS),
      costCentre: rng.pick(COST_CENTERS),
      region: rng.weighted([[REGIONS[0], 6], [REGIONS[1], 3], [REGIONS[2], 1]]),
      subsidiary: rng.weighted([[SUBSIDIARIES[0], 6], [SUBSIDIARIES[1], 2], [SUBSIDIARIES[2], 2]]),
      approver: manager?.userName ?? null,
      managerEmail: manager?.userName ?? null,
      active: !rng.chance(0.04),
      emails: [{ value: email, primary: true }],
      policyLevel: i < 8 ? POLICY_LEVELS[1] : rng.weighted([[POLICY_LEVELS[0], 9], [POLICY_LEVELS[2], 1]]),
    };
    this.#cache[i] = user;
    return user;
  }

  person(i: number, withPassport = false): SimPerson {
    const u = this.user(i);
    const manager = i === 0 ? undefined : this.user(Math.floor((i - 1) / 8));
    const entity = BILLABLE_ENTITIES[SUBSIDIARIES.indexOf(u.subsidiary as (typeof SUBSIDIARIES)[number])] ?? BILLABLE_ENTITIES[0];
    const person: SimPerson = {
      uuid: u.id,
      name: `${u.name.givenName} ${u.name.familyName}`,
      email: u.userName,
      employeedId: u.employeeId,
      managerUuid: manager?.id ?? null,
      managerName: manager ? `${manager.name.givenName} ${manager.name.familyName}` : null,
      managerEmail: manager?.userName ?? null,
      department: u.department,
      costCenter: u.costCentre,
      region: u.region,
      subsidiary: u.subsidiary,
      billableEntity: entity,
    };
    if (withPassport) {
      const country = u.region === 'EMEA' ? 'GB' : 'US';
      const issued = 2019 + (i % 5);
      person.passport = { countryOfCitizenship: country, countryOfIssue: country, issuedOn: `${issued}-03-1${i % 10}`, expiresOn: `${issued + 10}-03-1${i % 10}` };
    }
    return person;
  }

  /** Index of the user with this id, for lookups from the control plane (linear; users are few). */
  indexOf(id: string): number | undefined {
    for (let i = 0; i < this.count; i++) if (this.user(i).id === id) return i;
    return undefined;
  }
}

function ascii(s: string): string {
  return s.normalize('NFD').replace(/[^A-Za-z]/g, '');
}
