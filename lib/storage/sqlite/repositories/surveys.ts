import type { SurveyRecord, SurveyRepository } from '../../port';
import { num, type Row, type SqliteStatements, str } from '../sql';

const toSurvey = (row: Row): SurveyRecord => ({
  surveyId: String(row.survey_id),
  ticketId: String(row.ticket_id),
  userId: num(row.user_id),
  operatorId: num(row.operator_id),
  status: String(row.status) as SurveyRecord['status'],
  scale: String(row.scale) as SurveyRecord['scale'],
  channel: str(row.channel) as SurveyRecord['channel'],
  sentAt: num(row.sent_at),
  rating: num(row.rating),
  answeredAt: num(row.answered_at),
  reason: str(row.reason),
  reasonText: str(row.reason_text),
  remindersSent: Number(row.reminders_sent),
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at),
});

export function sqliteSurveys(sql: SqliteStatements): SurveyRepository {
  const { one, all, run } = sql;
  return {
    async create(survey) {
      return (
        run(
          `INSERT OR IGNORE INTO csat_surveys (survey_id, ticket_id, user_id, operator_id, status, scale, channel,
             sent_at, rating, answered_at, reason, reason_text, reminders_sent, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          survey.surveyId,
          survey.ticketId,
          survey.userId,
          survey.operatorId,
          survey.status,
          survey.scale,
          survey.channel,
          survey.sentAt,
          survey.rating,
          survey.answeredAt,
          survey.reason,
          survey.reasonText,
          survey.remindersSent,
          survey.createdAt,
          survey.updatedAt,
        ).changes === 1
      );
    },
    async get(surveyId) {
      const row = one('SELECT * FROM csat_surveys WHERE survey_id = ?', surveyId);
      return row ? toSurvey(row) : null;
    },
    async update(survey) {
      run(
        `UPDATE csat_surveys SET user_id = ?, operator_id = ?, status = ?, scale = ?, channel = ?, sent_at = ?,
           rating = ?, answered_at = ?, reason = ?, reason_text = ?, reminders_sent = ?, updated_at = ?
           WHERE survey_id = ?`,
        survey.userId,
        survey.operatorId,
        survey.status,
        survey.scale,
        survey.channel,
        survey.sentAt,
        survey.rating,
        survey.answeredAt,
        survey.reason,
        survey.reasonText,
        survey.remindersSent,
        survey.updatedAt,
        survey.surveyId,
      );
    },
    async listByTicket(ticketId) {
      return all(
        'SELECT * FROM csat_surveys WHERE ticket_id = ? ORDER BY created_at, survey_id',
        ticketId,
      ).map(toSurvey);
    },
    async listByTickets(ticketIds) {
      if (ticketIds.length === 0) return [];
      // One statement whatever the count: the ids as a JSON array, each looked up in the ticket index.
      return all(
        `SELECT * FROM csat_surveys WHERE ticket_id IN (SELECT value FROM json_each(?))
           ORDER BY ticket_id, created_at, survey_id`,
        JSON.stringify(ticketIds),
      ).map(toSurvey);
    },
  };
}
