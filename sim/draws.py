"""The columns of the random draws that travel with each community event, one row per event.

A crisis carries one row from the moment it is drawn to the end of its pathway, so every decision
on the way (triage, admission, length of stay, destination) uses the same number in every
scenario, whatever the pathway did before (common random numbers by construction).
"""

from __future__ import annotations

C_ACCEPT, C_ROUTE, C_TRIAGE, C_RR, C_ADMIT, C_LOS, C_DIE, C_DEST = range(8)
C_NURSING, C_VW_STAY, C_ESCALATE, C_REABLE, C_HOURS, C_FALL, C_DIVERT, C_EOL = range(8, 16)
C_AE = 16  # the time from being seen in A&E to the decision to admit or discharge
DRAW_COLUMNS = 17
NORMAL_COLUMNS = (C_LOS, C_AE)  # these columns hold standard normals, not uniforms

# Columns a crisis also carries while interventions run: its interventions' mechanisms as they
# stand in the period it falls in (enrolment changes only between periods), computed for all the
# period's crises at once rather than looked up one crisis at a time.
C_CRISIS_MULT, C_FALL_MULT, C_IS_FALL, C_EOL_HIT, C_DIVERT_TO = range(DRAW_COLUMNS, DRAW_COLUMNS + 5)
