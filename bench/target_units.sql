-- Every target's units with their bounds and latest figure, no roll-up: the floor under
-- `govtrack gaps`. The index keeps a target's units as the policy states them ("each
-- community under the province", bounds by kind), so they are found here as govtrack finds
-- them: each distinct rule (jurisdiction, levels, kind) walks its jurisdiction's subtree
-- once and keeps the units of those levels and that kind; a target on one unit names it.
WITH RECURSIVE
rules(jurisdiction, levels, kind) AS (
  SELECT DISTINCT p.jurisdiction, t.levels, t.kind FROM targets t
  JOIN policies p ON p.id = t.policy WHERE t.levels IS NOT NULL),
below(jurisdiction, unit, level, kind) AS (
  SELECT DISTINCT jurisdiction, jurisdiction, NULL, NULL FROM rules
  UNION ALL
  SELECT b.jurisdiction, u.id, u.level, u.kind FROM below b JOIN units u ON u.parent = b.unit),
rule_units(jurisdiction, levels, kind, unit, unit_kind) AS MATERIALIZED (
  SELECT r.jurisdiction, r.levels, r.kind, b.unit, b.kind FROM below b
  JOIN rules r ON r.jurisdiction = b.jurisdiction
  WHERE instr(',' || r.levels || ',', ',' || b.level || ',') > 0
    AND (r.kind IS NULL OR b.kind = r.kind)),
units_of(policy, target, unit, kind) AS (
  SELECT t.policy, t.id, x.unit, x.unit_kind FROM targets t JOIN policies p ON p.id = t.policy
  JOIN rule_units x ON x.jurisdiction = p.jurisdiction AND x.levels = t.levels
                   AND x.kind IS t.kind
  UNION ALL
  SELECT t.policy, t.id, t.unit, u.kind FROM targets t JOIN units u ON u.id = t.unit
  WHERE t.levels IS NULL)
SELECT x.policy, x.target, x.unit, l.value,
       CASE WHEN th.kind IS NULL THEN t.min ELSE th.min END,
       CASE WHEN th.kind IS NULL THEN t.max ELSE th.max END
FROM units_of x JOIN targets t ON t.policy = x.policy AND t.id = x.target
LEFT JOIN target_thresholds th ON th.policy = x.policy AND th.target = x.target AND th.kind = x.kind
LEFT JOIN latest l ON l.metric = t.metric AND l.unit = x.unit;
