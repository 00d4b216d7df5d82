-- Resources (issue 13): the budget planned for an assignment (a task as one unit carries it)
-- and the part disbursed, per year and source (state budget or other), in million đồng. The
-- disbursement rate of each unit and year is also written as a value of the indicator
-- NS.GIAINGAN, so that it is judged and warned about like any other.
CREATE TABLE budgets (
    assignment_id BIGINT NOT NULL REFERENCES assignments(id),
    year          INTEGER NOT NULL,
    source        TEXT NOT NULL,
    planned       REAL NOT NULL,
    disbursed     REAL NOT NULL,
    updated_by    BIGINT REFERENCES users(id),
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (assignment_id, year, source)
);
