-- `govtrack overdue --format json` asked of the index in SQL: the same rows with the same
-- eighteen fields, one JSON object a line, most overdue first. bench/run.sh puts the
-- as-of date in place of :as_of and checks that the rows equal govtrack's.
--
-- A single task is overdue when its deadline has passed and its latest status event up
-- to the as-of date (the last written, of one day) is not `done`; a recurring report's
-- due dates are settled one by one, oldest first, by its `done` events.
WITH
crew AS MATERIALIZED (
  -- The lead and supporting units' names of each task, in their order; `each` (牵头:
  -- 各区) stands for the instance's own unit and is filled in below.
  SELECT policy, task, role, max(unit = 'each') AS each,
         json_group_array(CASE unit WHEN 'each' THEN NULL ELSE name END) AS names
  FROM (SELECT o.policy, o.task, o.role, o.unit, coalesce(u.name, o.unit) AS name
        FROM owners o LEFT JOIN units u ON u.id = o.unit
        ORDER BY o.policy, o.task, o.role, o.pos)
  GROUP BY policy, task, role),
due AS (
  SELECT d.instance, d.due, t.recurring, t.policy, t.id AS task, t.number, t.title, i.unit,
    (SELECT e.rowid FROM events e JOIN files f ON f.id = e.file
      WHERE e.instance = d.instance AND e.date <= :as_of
      ORDER BY e.date DESC, f.path DESC, e.line DESC LIMIT 1) AS last
  FROM dues d JOIN instances i ON i.id = d.instance
  JOIN tasks t ON t.policy = i.policy AND t.id = i.task
  WHERE d.due < :as_of),
late AS (
  SELECT o.*, e.status AS progress, coalesce(e.note, '') AS note
  FROM due o LEFT JOIN events e ON e.rowid = o.last
  WHERE CASE WHEN o.recurring
    THEN (SELECT count(*) FROM dues d2 WHERE d2.instance = o.instance AND d2.due <= o.due)
       > (SELECT count(*) FROM events e2
           WHERE e2.instance = o.instance AND e2.date <= :as_of AND e2.status = 'done')
    ELSE o.due = (SELECT min(due) FROM dues d3 WHERE d3.instance = o.instance)
         AND e.status IS NOT 'done' END)
SELECT json_object(
  'policy', r.policy, 'task', r.task, 'number', r.number, 'title', r.title,
  'unit', coalesce(u.name, r.unit), 'unit_id', r.unit,
  'lead', json(CASE WHEN cl.each
    THEN replace(cl.names, 'null', json_quote(coalesce(u.name, r.unit)))
    ELSE coalesce(cl.names, '[]') END),
  'support', json(CASE WHEN cs.each
    THEN replace(cs.names, 'null', json_quote(coalesce(u.name, r.unit)))
    ELSE coalesce(cs.names, '[]') END),
  'deadline', r.due, 'recurring', json(CASE WHEN r.recurring THEN 'true' ELSE 'false' END),
  'light', 'red', 'status', 'overdue',
  'days_overdue', CAST(julianday(:as_of) - julianday(r.due) AS INTEGER),
  'days_left', NULL, 'done_on', NULL, 'days_late', NULL,
  'progress', r.progress, 'note', r.note)
FROM late r LEFT JOIN units u ON u.id = r.unit
LEFT JOIN crew cl ON cl.policy = r.policy AND cl.task = r.task AND cl.role = 'lead'
LEFT JOIN crew cs ON cs.policy = r.policy AND cs.task = r.task AND cs.role = 'support'
ORDER BY r.due, r.instance;
