import { type EntryOrder, STANDING_ROW, standingAreaOf, standingPlaceLabel } from '@tiketi/contracts';
import type { FieldError } from '@tiketi/kit';
import { problems } from '@tiketi/kit';
import { v7 as uuidv7 } from 'uuid';

export type LayoutSeatInput = { number: number; x: number; y: number; tierKey: string; label?: string };
/** A row lists its seats, or gives a count and one tier and lets the layout place them. */
export type LayoutRowInput = {
  label: string;
  seats?: LayoutSeatInput[];
  seatCount?: number;
  tierKey?: string;
};
/** A standing area: `capacity` places of one tier, sold by count. */
export type StandingInput = { capacity: number; tierKey: string; entryOrder: EntryOrder };
/** A section has rows of seats, or is a standing area. */
export type LayoutSectionInput = { name: string; rows?: LayoutRowInput[]; standing?: StandingInput };

export type PlannedSection = {
  id: string;
  name: string;
  position: number;
  standingCapacity: number | null;
  entryOrder: EntryOrder | null;
};
export type PlannedSeat = {
  id: string;
  sectionId: string;
  rowLabel: string;
  rowPosition: number;
  number: number;
  label: string;
  x: number;
  y: number;
  tierKey: string;
};

export const MAX_SEATS_PER_VENUE = 100_000;
const SEAT_PITCH = 10;
const ROW_PITCH = 12;
const SECTION_GAP = 40;

export function defaultSeatLabel(section: string, row: string, number: number): string {
  return `${section}-${row}-${number}`;
}

/** A standing area's places as seats of one row, drawn as a square block. */
function standingPlaces(standing: StandingInput, offsetX: number): LayoutRowInput {
  const columns = Math.ceil(Math.sqrt(standing.capacity));
  return {
    label: STANDING_ROW,
    seats: Array.from({ length: standing.capacity }, (_, i) => ({
      number: i + 1,
      x: offsetX + ((i % columns) + 1) * SEAT_PITCH,
      y: (Math.floor(i / columns) + 1) * ROW_PITCH,
      tierKey: standing.tierKey,
    })),
  };
}

/**
 * Turns a venue's layout into sections and seats with ids, or refuses it with every inconsistency named:
 * duplicate section names, rows or seat numbers, duplicate labels across the venue, a seat labelled as a
 * standing area's place, rows with no seats or with both a seat list and a count. `seatId` lets the demo seed use ids derived from the labels.
 */
export function planLayout(
  sections: LayoutSectionInput[],
  seatId: (label: string) => string = () => uuidv7(),
  sectionId: (name: string) => string = () => uuidv7(),
): { sections: PlannedSection[]; seats: PlannedSeat[] } {
  // A few kilobytes may declare millions of seats: the cap is checked on the counts, before one is built.
  const declared = sections.reduce(
    (sum, section) =>
      sum +
      (section.standing?.capacity ?? 0) +
      (section.rows ?? []).reduce((n, row) => n + (row.seats?.length ?? row.seatCount ?? 0), 0),
    0,
  );
  if (declared > MAX_SEATS_PER_VENUE)
    refuse([
      { field: 'body.sections', message: `declares ${declared} seats, more than ${MAX_SEATS_PER_VENUE}` },
    ]);
  const errors: FieldError[] = [];
  const planned: PlannedSection[] = [];
  const seats: PlannedSeat[] = [];
  const labels = new Map<string, string>();
  const sectionNames = new Set<string>();
  // Pages and mails that have only a reservation's labels tell places from seats by them, so a seat may not
  // take a label of a place's form (`Floor-P900`), whether or not the area has that many places.
  const standingAreas = sections.filter((section) => section.standing).map((section) => section.name);
  let offsetX = 0;

  sections.forEach((section, s) => {
    const at = `body.sections.${s}`;
    if (sectionNames.has(section.name)) {
      // Its seats would take the labels of the first one's, each a refusal of its own: one says it.
      errors.push({ field: `${at}.name`, message: 'is used twice' });
      return;
    }
    sectionNames.add(section.name);
    const id = sectionId(section.name);
    const { standing } = section;
    if ((section.rows === undefined) === (standing === undefined)) {
      errors.push({ field: at, message: 'give either rows or standing' });
      return;
    }
    planned.push({
      id,
      name: section.name,
      position: s,
      standingCapacity: standing?.capacity ?? null,
      entryOrder: standing?.entryOrder ?? null,
    });
    const rows = standing ? [standingPlaces(standing, offsetX)] : (section.rows ?? []);
    const rowLabels = new Set<string>();
    let widest = 0;
    rows.forEach((row, r) => {
      const rowAt = `${at}.rows.${r}`;
      if (rowLabels.has(row.label)) errors.push({ field: `${rowAt}.label`, message: 'is used twice' });
      rowLabels.add(row.label);
      const listed = row.seats !== undefined;
      const counted = row.seatCount !== undefined;
      if (listed === counted) {
        errors.push({ field: rowAt, message: 'give either seats or seatCount with tierKey' });
        return;
      }
      if (counted && !row.tierKey) {
        errors.push({ field: `${rowAt}.tierKey`, message: 'is required with seatCount' });
        return;
      }
      const rowSeats: LayoutSeatInput[] =
        row.seats ??
        Array.from({ length: row.seatCount ?? 0 }, (_, i) => ({
          number: i + 1,
          x: offsetX + (i + 1) * SEAT_PITCH,
          y: (r + 1) * ROW_PITCH,
          tierKey: row.tierKey ?? '',
        }));
      if (rowSeats.length === 0) errors.push({ field: rowAt, message: 'has no seats' });
      const numbers = new Set<number>();
      rowSeats.forEach((seat, n) => {
        const seatAt = listed ? `${rowAt}.seats.${n}` : rowAt;
        if (numbers.has(seat.number)) errors.push({ field: `${seatAt}.number`, message: 'is used twice' });
        numbers.add(seat.number);
        const label =
          seat.label ??
          (standing
            ? standingPlaceLabel(section.name, seat.number)
            : defaultSeatLabel(section.name, row.label, seat.number));
        const first = labels.get(label);
        const area = standing ? undefined : standingAreaOf(label, standingAreas);
        if (area !== undefined) {
          errors.push({
            field: `${seatAt}.label`,
            message: `"${label}" is the form of a place of standing area "${area}"; seats need another label`,
          });
        } else if (first !== undefined) {
          errors.push({ field: `${seatAt}.label`, message: `"${label}" is already used by ${first}` });
        } else {
          labels.set(label, seatAt);
        }
        widest = Math.max(widest, seat.x - offsetX);
        seats.push({
          id: seatId(label),
          sectionId: id,
          rowLabel: row.label,
          rowPosition: r,
          number: seat.number,
          label,
          x: seat.x,
          y: seat.y,
          tierKey: seat.tierKey,
        });
      });
    });
    offsetX += widest + SECTION_GAP;
  });

  if (errors.length) refuse(errors);
  return { sections: planned, seats };
}

function refuse(errors: FieldError[]): never {
  throw problems.badRequest(
    `The seat layout is inconsistent: ${errors
      .slice(0, 5)
      .map((e) => `${e.field} ${e.message}`)
      .join('; ')}${errors.length > 5 ? `; and ${errors.length - 5} more` : ''}`,
    errors,
  );
}
