import { List } from '@ydbjs/value/list';
import type { SurveyRecord, SurveyRepository } from '../../port';
import { first, insertIfAbsent, rows, type Sql, updateRow } from '../sql';
import type { Row } from '../statement';
import { read, yv } from '../values';

const toSurvey = (row: Row): SurveyRecord => ({
  surveyId: read.text(row.survey_id),
  ticketId: read.text(row.ticket_id),
  userId: read.optNum(row.user_id),
  operatorId: read.optNum(row.operator_id),
  status: read.text(row.status) as SurveyRecord['status'],
  scale: read.text(row.scale) as SurveyRecord['scale'],
  channel: read.optText(row.channel) as SurveyRecord['channel'],
  sentAt: read.optTime(row.sent_at),
  rating: read.optNum(row.rating),
  answeredAt: read.optTime(row.answered_at),
  reason: read.optText(row.reason),
  reasonText: read.optText(row.reason_text),
  remindersSent: read.num(row.reminders_sent),
  createdAt: read.time(row.created_at),
  updatedAt: read.time(row.updated_at),
});

const surveyParams = (survey: SurveyRecord) => ({
  $survey_id: yv.text(survey.surveyId),
  $ticket_id: yv.text(survey.ticketId),
  $user_id: yv.optInt64(survey.userId),
  $operator_id: yv.optInt64(survey.operatorId),
  $status: yv.text(survey.status),
  $scale: yv.text(survey.scale),
  $channel: yv.optText(survey.channel),
  $sent_at: yv.optTime(survey.sentAt),
  $rating: yv.optInt32(survey.rating),
  $answered_at: yv.optTime(survey.answeredAt),
  $reason: yv.optText(survey.reason),
  $reason_text: yv.optText(survey.reasonText),
  $reminders_sent: yv.int32(survey.remindersSent),
  $created_at: yv.time(survey.createdAt),
  $updated_at: yv.time(survey.updatedAt),
});

const upsertSurvey = `UPSERT INTO csat_surveys (survey_id, ticket_id, user_id, operator_id, status, scale, channel,
      sent_at, rating, answered_at, reason, reason_text, reminders_sent, created_at, updated_at)
    VALUES ($survey_id, $ticket_id, $user_id, $operator_id, $status, $scale, $channel, $sent_at, $rating, $answered_at,
      $reason, $reason_text, $reminders_sent, $created_at, $updated_at)`;

export function ydbSurveys(sql: Sql): SurveyRepository {
  return {
    async create(survey) {
      return insertIfAbsent(
        sql,
        {
          text: 'SELECT survey_id FROM csat_surveys WHERE survey_id = $survey_id',
          params: { $survey_id: yv.text(survey.surveyId) },
        },
        { text: upsertSurvey, params: surveyParams(survey) },
      );
    },
    async get(surveyId) {
      const row = await first(sql, 'SELECT * FROM csat_surveys WHERE survey_id = $survey_id', {
        $survey_id: yv.text(surveyId),
      });
      return row ? toSurvey(row) : null;
    },
    async update(survey) {
      await updateRow(sql, 'csat_surveys', ['survey_id'], surveyParams(survey), ['created_at']);
    },
    async listByTicket(ticketId) {
      const found = await rows(
        sql,
        'SELECT * FROM csat_surveys VIEW csat_surveys_by_ticket WHERE ticket_id = $ticket_id',
        {
          $ticket_id: yv.text(ticketId),
        },
      );
      return found
        .map(toSurvey)
        .sort((a, b) => a.createdAt - b.createdAt || (a.surveyId < b.surveyId ? -1 : 1));
    },
    async listByTickets(ticketIds) {
      if (ticketIds.length === 0) return [];
      // One lookup of the ticket index for the whole list, instead of a round trip per ticket.
      const found = await rows(
        sql,
        'SELECT * FROM csat_surveys VIEW csat_surveys_by_ticket WHERE ticket_id IN $ticket_ids',
        { $ticket_ids: new List(...ticketIds.map((ticketId) => yv.text(ticketId))) },
      );
      return found
        .map(toSurvey)
        .sort(
          (a, b) =>
            (a.ticketId < b.ticketId ? -1 : a.ticketId > b.ticketId ? 1 : 0) ||
            a.createdAt - b.createdAt ||
            (a.surveyId < b.surveyId ? -1 : 1),
        );
    },
  };
}
