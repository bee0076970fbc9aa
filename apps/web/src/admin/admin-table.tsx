import type { ReactNode } from 'react';

/** A table that scrolls sideways on a narrow screen, under a header row of column titles. */
export function AdminTable({
  columns,
  children,
  empty,
}: {
  columns: ReactNode[];
  children: ReactNode;
  /** Shown below the header when there are no rows. */
  empty?: ReactNode;
}) {
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            {columns.map((column, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: columns are fixed per table.
              <th scope="col" key={i}>
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
      {empty}
    </div>
  );
}

/**
 * Rows of a list edited in place (price tiers, venue sections): each with its fields and a remove
 * button, and a button below that adds one. The last row cannot be removed.
 */
export function RowsEditor<T>({
  legend,
  rows,
  onChange,
  newRow,
  addLabel,
  removeLabel,
  disabled,
  children,
}: {
  legend: string;
  rows: T[];
  onChange: (rows: T[]) => void;
  newRow: (rows: T[]) => T;
  addLabel: string;
  removeLabel: string;
  disabled?: boolean;
  children: (row: T, update: (patch: Partial<T>) => void) => ReactNode;
}) {
  return (
    <fieldset disabled={disabled}>
      <legend>{legend}</legend>
      {rows.map((row, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place; the position is their identity here.
        <div className="tier-row" key={i}>
          {children(row, (patch) => onChange(rows.map((x, j) => (j === i ? { ...x, ...patch } : x))))}
          <button
            type="button"
            className="secondary"
            disabled={rows.length === 1}
            onClick={() => onChange(rows.filter((_, j) => j !== i))}
          >
            {removeLabel}
          </button>
        </div>
      ))}
      <button type="button" className="secondary" onClick={() => onChange([...rows, newRow(rows)])}>
        {addLabel}
      </button>
    </fieldset>
  );
}
