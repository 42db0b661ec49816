"""The columns of the random draws that travel with each community event, one row per event.

A crisis carries one row from the moment it is drawn to the end of its pathway, so every decision
on the way (triage, admission, length of stay, destination) uses the same number in every
scenario, whatever the pathway did before (common random numbers by construction).
"""

from __future__ import annotations

C_ACCEPT, C_ROUTE, C_TRIAGE, C_RR, C_ADMIT, C_LOS, C_DEST = range(7)
C_NURSING, C_VW_STAY, C_ESCALATE, C_REABLE, C_HOURS, C_FALL, C_DIVERT, C_EOL = range(7, 15)
C_AE = 15  # the time from being seen in A&E to the decision to admit or discharge
DRAW_COLUMNS = 16
NORMAL_COLUMNS = (C_LOS, C_AE)  # these columns hold standard normals, not uniforms

# The course of an event that may begin with a crisis, drawn beside that crisis's row: for a death,
# whether it follows a terminal decline (else it is sudden) and how long the decline lasts; for a
# need for 24-hour care, whether it first shows as a crisis.
D_TERMINAL, D_DECLINE = range(2)
D_WITH_CRISIS = D_TERMINAL
DEATH_COLUMNS = 2

# Columns a crisis also carries while interventions run: its interventions' mechanisms as they
# stand in the period it falls in (enrolment changes only between periods), computed for all the
# period's crises at once rather than looked up one crisis at a time.
# C_ENVELOPE: the factor on the resident's crisis rate at which the crisis was drawn (above one
# where an intervention raises the crisis or fall hazard).
C_CRISIS_MULT, C_FALL_MULT, C_IS_FALL, C_EOL_HIT, C_DIVERT_TO, C_ENVELOPE = range(DRAW_COLUMNS, DRAW_COLUMNS + 6)
