import type { Language } from '../storage/port';
import { operatorsTexts } from './catalog-operators';
import { type CompiledTemplate, compileTemplate, renderTemplate } from './template';

/**
 * Every text users and operators see, in ru and en. Texts use `{name}` variables, with an optional
 * fallback (`{first_name|друг}`); `render` refuses a variable without fallback the caller did not
 * give, and `npm run build` checks that both languages use the same variables.
 */
export const catalog = {
  ru: {
    'ticket.reply': '💬 Ответ по обращению {number}:\n\n{text}',
    'ticket.status': 'Обращение {number}: {status}',
    'ticket.reply.notification': 'Новый ответ по обращению {number}',
    'ticket.status.notification': 'Обращение {number}: {status}',
    'ticket.digest.line': '{number}: {summary}',
    'unit.days.one': '{count} день',
    'unit.days.few': '{count} дня',
    'unit.days.many': '{count} дней',
    'ticket.digest.replies.one': '{count} ответ оператора',
    'ticket.digest.replies.few': '{count} ответа оператора',
    'ticket.digest.replies.many': '{count} ответов оператора',
    'ticket.digest.status': 'статус — {status}',
    'status.new': 'принято',
    'status.in_progress': 'взято в работу',
    'status.waiting_for_user': 'ждём вашего ответа',
    'status.resolved': 'решено ✅',
    'status.closed': 'закрыто',
    'sla.alert': '⏰ SLA нарушен: {number} ({category}), {target}. Назначено: {assignee}.',
    'sla.target.firstResponse': 'нет первого ответа',
    'sla.target.resolution': 'не решено в срок',
    'sla.escalation':
      '🚨 Эскалация: {number} ({category}), {target}, приоритет — {priority}. Назначено: {assignee}. Нужна помощь старшего.',
    'priority.low': 'низкий',
    'priority.normal': 'обычный',
    'priority.high': 'высокий',
    'priority.urgent': 'срочный',

    'csat.ask': 'Обращение {number} решено. Оцените, пожалуйста, как мы помогли — это займёт секунду.',
    'csat.reminder': 'Напоминаем: оцените, пожалуйста, как мы решили обращение {number}.',
    'csat.notification': 'Обращение {number} решено. Оцените, как мы помогли',
    'csat.rated': 'Обращение {number}: ваша оценка — {rating}. Спасибо!',
    'csat.thanks': 'Спасибо за оценку!',
    'csat.thanks.review': 'Спасибо за оценку! Будем рады вашему отзыву: {url}',
    'csat.why': 'Жаль, что не всё прошло хорошо. Что пошло не так?',
    'csat.why.other': 'Расскажите, пожалуйста, что пошло не так (одним сообщением).',
    'csat.why.too_short': 'Напишите чуть подробнее, пожалуйста.',
    'csat.why.too_long': 'Слишком длинно: уложитесь, пожалуйста, в {max} символов.',
    'csat.why.thanks': 'Спасибо! Передали руководителю поддержки — разберёмся.',
    'csat.already': 'Оценка уже учтена',
    'csat.why.already': 'Причину уже учли, спасибо',
    'csat.typed.five': 'Ответьте цифрой от 1 (плохо) до 5 (отлично).',
    'csat.typed.thumbs': 'Ответьте 👍 или 👎.',
    'csat.closed': 'Этот опрос уже неактуален',
    'csat.reason.slow': 'Долго отвечали',
    'csat.reason.not_solved': 'Проблема не решена',
    'csat.reason.impolite': 'Невежливо',
    'csat.reason.other': 'Другое',
    'csat.alert':
      '⚠️ Низкая оценка: {rating}\nОбращение: {number} ({category})\nОператор: {operator}\nПричина: {reason}\nДиалог: {link}',
    'csat.alert.no_reason': 'не указана',
    'nps.ask': 'Насколько вероятно, что вы порекомендуете нас друзьям? Оцените от 0 до 10.',
    'nps.typed': 'Ответьте цифрой от 0 (точно нет) до 10 (обязательно порекомендую).',
    'nps.thanks': 'Спасибо за оценку!',
    'nps.rated': 'Спасибо за оценку: {score}',
    'nps.changed': 'Оценка изменена: {score}. Спасибо!',
    'nps.comment.improve': 'Что нам стоит улучшить? Напишите одним сообщением.',
    'nps.comment.like': 'Что вам нравится больше всего? Напишите одним сообщением.',
    'nps.comment.thanks': 'Спасибо, что поделились! Мы читаем каждый ответ.',
    'nps.closed': 'Этот опрос уже закрыт — спасибо!',

    'greeting.morning': 'Доброе утро',
    'greeting.day': 'Добрый день',
    'greeting.evening': 'Добрый вечер',
    'greeting.night': 'Доброй ночи',
    'when.today': 'сегодня {preposition} {time}',
    'when.tomorrow': 'завтра {preposition} {time}',
    'when.weekday': '{weekday} {preposition} {time}',
    'when.date': '{date} {preposition} {time}',
    'preposition.at': 'в',
    'preposition.from': 'с',
    'preposition.by': 'до',
    'weekday.mon': 'в понедельник',
    'weekday.tue': 'во вторник',
    'weekday.wed': 'в среду',
    'weekday.thu': 'в четверг',
    'weekday.fri': 'в пятницу',
    'weekday.sat': 'в субботу',
    'weekday.sun': 'в воскресенье',

    'menu.bug': '🐞 Сообщить об ошибке',
    'menu.question': '❓ Задать вопрос',
    'menu.suggestion': '💡 Предложение',
    'menu.tickets': '📋 Мои обращения',
    'menu.faq': '📖 Частые вопросы',
    'menu.operator': '🙋 Позвать оператора',
    'menu.language': '🌐 Язык / Language',
    'button.helped': '👍 Помогло',
    'button.operator': '🙋 Позвать оператора',
    'button.yes': '✅ Да',
    'button.no': '❌ Нет',
    'button.send': '✅ Отправить',
    'button.cancel': '❌ Отмена',
    'button.skip': '⏭ Пропустить',
    'button.menu': '🏠 Меню',

    'bot.welcome':
      '{greeting}, {first_name|друг}! 👋 Это поддержка «{community_name}». Выберите, что нужно, или просто напишите вопрос.',
    'bot.welcome_with_answer': '{greeting}, {first_name|друг}! 👋 Это поддержка «{community_name}».',
    'bot.menu': 'Чем помочь? Выберите пункт меню или напишите вопрос.',
    'bot.ask_question': 'Напишите вопрос одним сообщением — поищу ответ в базе знаний.',
    'bot.kb.answer': '📖 {title}\n\n{body}\n\nЭто помогло?',
    'bot.kb.glad': 'Рад, что помогло! Если появятся вопросы — пишите.',
    'bot.kb.nothing': 'Готового ответа не нашёл. Передать вопрос оператору?',
    'bot.kb.unsure': 'Не уверен, что нашёл точный ответ. Передать вопрос оператору? Ниже — похожие статьи.',
    'bot.kb.declined': 'Хорошо. Если что-то понадобится — пишите или откройте меню.',
    'bot.faq': 'Частые вопросы — выберите статью:',
    'bot.category.choose': 'Выберите тему обращения:',
    'bot.describe':
      '{emoji} {category}. Опишите, пожалуйста, что случилось, одним сообщением. Можно приложить скриншоты.',
    'bot.describe.handover': 'Опишите вопрос одним сообщением — я передам его оператору.',
    'bot.describe.too_short': 'Слишком коротко — опишите, пожалуйста, подробнее (хотя бы пару слов).',
    'bot.describe.required':
      'Этот шаг не пропустить: опишите, пожалуйста, что случилось, хотя бы парой слов.',
    'bot.describe.too_long': 'Слишком длинное сообщение: не больше {max} символов. Сократите, пожалуйста.',
    'bot.contact.ask':
      'Оставьте e-mail или телефон для связи — например, name@example.com или +7 900 123-45-67. Или нажмите «Пропустить».',
    'bot.contact.invalid': 'Не похоже на e-mail или телефон. Пример: name@example.com или +7 900 123-45-67.',
    'privacy.contact_notice':
      'Контакт нужен, чтобы ответить на обращение и связаться с вами по нему. Его, как и переписку по обращению, хранит сообщество (оператор персональных данных) {days} после закрытия обращения, затем удаляет. Оставляя контакт, вы соглашаетесь на это.',
    'bot.confirm':
      'Проверьте обращение:\n\n{emoji} {category}\n💬 {description}{attachments}{contact}\n\nОтправить?',
    'bot.confirm.attachments': '\n📎 Вложений: {count}',
    'bot.confirm.contact': '\n📞 {contact}',
    'bot.ticket.created': '✅ Обращение {number} создано. Оператор ответит {when}.',
    'bot.ticket.reopened': '🔄 Обращение {number} снова открыто — передал оператору. Ответим {when}.',
    'bot.ticket.reopened.untimed': '🔄 Обращение {number} снова открыто — передал оператору.',
    'bot.ticket.linked':
      '✅ Обращение {previous} уже закрыто, поэтому я создал новое — {number}, со ссылкой на него. Оператор ответит {when}.',
    'bot.ticket.too_many':
      'Вы создали много обращений за последний час. Попробуйте через {minutes} мин или дополните уже созданное.',
    'bot.cancelled': 'Хорошо, отменил. Чем ещё помочь?',
    'bot.receipt': '📨 Передал оператору. Ответим {when}.',
    'bot.receipt.untimed': '📨 Передал оператору.',
    'bot.off_hours': '🌙 Сейчас нерабочее время. Операторы ответят {when}.',
    'bot.tickets.none': 'У вас пока нет обращений.',
    'bot.tickets.list': 'Ваши обращения:\n{list}',
    'bot.tickets.item': '{emoji} {number} — {status}: {subject}',
    'bot.language.choose': 'Выберите язык / Choose your language:',
    'bot.language.set': 'Готово, пишу по-русски.',
    'bot.operator_busy': 'Оператор уже отвечает вам в этом диалоге.',
    'bot.stale_button': 'Эта кнопка устарела. Напишите «меню».',
    'bot.relay': '{text}\n\n— {operator_name|оператор поддержки}',
    'bot.join.welcome':
      '{greeting}, {first_name|друг}! Спасибо, что вступили в «{community_name}» 🎉 Если понадобится помощь — просто напишите сюда.',
    'bot.leave.regret': 'Жаль, что вы уходите 😔 Подскажете почему? Это поможет нам стать лучше.',
    'bot.leave.thanks': 'Спасибо за ответ! Будем рады видеть вас снова.',
    'bot.leave.other': 'Расскажите, пожалуйста, что стоило бы изменить, — одним сообщением.',
    'bot.leave.already': 'Спасибо, ответ уже учли.',
    'bot.allow.welcome':
      'Спасибо, что разрешили сообщения! Будем присылать {subscription}. Если нужна помощь — просто напишите сюда.',
    'bot.allow.welcome_plain': 'Спасибо, что разрешили сообщения! Если нужна помощь — просто напишите сюда.',
    'bot.numbers_hint': 'Ответьте цифрой.',
    'bot.small_talk.thanks': 'Пожалуйста! Если что-то ещё понадобится — пишите.',
    'bot.small_talk.bye': 'Всего доброго! Если что-то понадобится — пишите.',
    'bot.description.screenshot': 'Скриншот без описания',
    'leave.boring': 'Неинтересно',
    'leave.too_many_posts': 'Слишком много постов',
    'leave.not_relevant': 'Больше не актуально',
    'leave.other': 'Другое',

    ...operatorsTexts.ru,
  },
  en: {
    'ticket.reply': '💬 Reply on ticket {number}:\n\n{text}',
    'ticket.status': 'Ticket {number}: {status}',
    'ticket.reply.notification': 'New reply on ticket {number}',
    'ticket.status.notification': 'Ticket {number}: {status}',
    'ticket.digest.line': '{number}: {summary}',
    'unit.days.one': '{count} day',
    'unit.days.few': '{count} days',
    'unit.days.many': '{count} days',
    'ticket.digest.replies.one': '{count} operator reply',
    'ticket.digest.replies.few': '{count} operator replies',
    'ticket.digest.replies.many': '{count} operator replies',
    'ticket.digest.status': 'status: {status}',
    'status.new': 'received',
    'status.in_progress': 'in progress',
    'status.waiting_for_user': 'waiting for your answer',
    'status.resolved': 'resolved ✅',
    'status.closed': 'closed',
    'sla.alert': '⏰ SLA breached: {number} ({category}), {target}. Assignee: {assignee}.',
    'sla.target.firstResponse': 'no first response',
    'sla.target.resolution': 'not resolved in time',
    'sla.escalation':
      '🚨 Escalation: {number} ({category}), {target}, priority {priority}. Assignee: {assignee}. A lead is needed.',
    'priority.low': 'low',
    'priority.normal': 'normal',
    'priority.high': 'high',
    'priority.urgent': 'urgent',

    'csat.ask': 'Ticket {number} is resolved. Please rate how we helped — it takes a second.',
    'csat.reminder': 'A reminder: please rate how we resolved ticket {number}.',
    'csat.notification': 'Ticket {number} is resolved. Rate how we helped',
    'csat.rated': 'Ticket {number}: you rated it {rating}. Thank you!',
    'csat.thanks': 'Thank you for the rating!',
    'csat.thanks.review': 'Thank you for the rating! We would love a review: {url}',
    'csat.why': 'Sorry it did not go well. What went wrong?',
    'csat.why.other': 'Please tell us what went wrong (in one message).',
    'csat.why.too_short': 'Please write a little more.',
    'csat.why.too_long': 'Too long: please keep it within {max} characters.',
    'csat.why.thanks': 'Thank you! We passed it to the head of support and will look into it.',
    'csat.already': 'Your rating is already counted',
    'csat.why.already': 'We have your reason already, thank you',
    'csat.typed.five': 'Reply with a number from 1 (bad) to 5 (great).',
    'csat.typed.thumbs': 'Reply with 👍 or 👎.',
    'csat.closed': 'This survey is no longer open',
    'csat.reason.slow': 'Slow answers',
    'csat.reason.not_solved': 'Problem not solved',
    'csat.reason.impolite': 'Impolite',
    'csat.reason.other': 'Other',
    'csat.alert':
      '⚠️ Low rating: {rating}\nTicket: {number} ({category})\nOperator: {operator}\nReason: {reason}\nDialog: {link}',
    'csat.alert.no_reason': 'not given',
    'nps.ask': 'How likely are you to recommend us to a friend? Rate from 0 to 10.',
    'nps.typed': 'Reply with a number from 0 (not at all likely) to 10 (extremely likely).',
    'nps.thanks': 'Thank you for the rating!',
    'nps.rated': 'Thank you for your rating: {score}',
    'nps.changed': 'Rating changed to {score}. Thank you!',
    'nps.comment.improve': 'What should we improve? Please write it in one message.',
    'nps.comment.like': 'What do you like most? Please write it in one message.',
    'nps.comment.thanks': 'Thank you for sharing! We read every answer.',
    'nps.closed': 'This survey is closed — thank you!',

    'greeting.morning': 'Good morning',
    'greeting.day': 'Good afternoon',
    'greeting.evening': 'Good evening',
    'greeting.night': 'Hello',
    'when.today': 'today {preposition} {time}',
    'when.tomorrow': 'tomorrow {preposition} {time}',
    'when.weekday': '{weekday} {preposition} {time}',
    'when.date': '{date} {preposition} {time}',
    'preposition.at': 'at',
    'preposition.from': 'from',
    'preposition.by': 'by',
    'weekday.mon': 'on Monday',
    'weekday.tue': 'on Tuesday',
    'weekday.wed': 'on Wednesday',
    'weekday.thu': 'on Thursday',
    'weekday.fri': 'on Friday',
    'weekday.sat': 'on Saturday',
    'weekday.sun': 'on Sunday',

    'menu.bug': '🐞 Report a bug',
    'menu.question': '❓ Ask a question',
    'menu.suggestion': '💡 Suggestion',
    'menu.tickets': '📋 My tickets',
    'menu.faq': '📖 FAQ',
    'menu.operator': '🙋 Talk to an operator',
    'menu.language': '🌐 Язык / Language',
    'button.helped': '👍 This helped',
    'button.operator': '🙋 Talk to an operator',
    'button.yes': '✅ Yes',
    'button.no': '❌ No',
    'button.send': '✅ Send',
    'button.cancel': '❌ Cancel',
    'button.skip': '⏭ Skip',
    'button.menu': '🏠 Menu',

    'bot.welcome':
      '{greeting}, {first_name|friend}! 👋 This is {community_name} support. Pick what you need, or just type your question.',
    'bot.welcome_with_answer': '{greeting}, {first_name|friend}! 👋 This is {community_name} support.',
    'bot.menu': 'How can I help? Pick a menu item or type your question.',
    'bot.ask_question':
      'Type your question in one message and I will look for an answer in the knowledge base.',
    'bot.kb.answer': '📖 {title}\n\n{body}\n\nDid this help?',
    'bot.kb.glad': 'Glad it helped! Write any time you have a question.',
    'bot.kb.nothing': "I couldn't find a ready answer. Shall I pass your question to an operator?",
    'bot.kb.unsure':
      "I'm not sure I found the right answer. Shall I pass your question to an operator? Similar articles are below.",
    'bot.kb.declined': 'All right. Write or open the menu whenever you need something.',
    'bot.faq': 'Frequently asked questions — pick an article:',
    'bot.category.choose': 'What is it about?',
    'bot.describe':
      '{emoji} {category}. Please describe what happened in one message. You can attach screenshots.',
    'bot.describe.handover': 'Describe your question in one message and I will pass it to an operator.',
    'bot.describe.too_short': 'That is a bit short — please describe it in a few words at least.',
    'bot.describe.required': 'This step can’t be skipped: please say what happened, in a few words at least.',
    'bot.describe.too_long': 'That message is too long: {max} characters at most. Please shorten it.',
    'bot.contact.ask':
      'Leave an e-mail or phone number to reach you — e.g. name@example.com or +7 900 123-45-67. Or press "Skip".',
    'bot.contact.invalid':
      "That doesn't look like an e-mail or phone number. Example: name@example.com or +7 900 123-45-67.",
    'privacy.contact_notice':
      "We need the contact to answer your ticket and reach you about it. The community (the personal data operator) keeps it, with the ticket's messages, for {days} after the ticket is closed, then deletes it. By leaving a contact you agree to this.",
    'bot.confirm':
      'Please check your ticket:\n\n{emoji} {category}\n💬 {description}{attachments}{contact}\n\nSend it?',
    'bot.confirm.attachments': '\n📎 Attachments: {count}',
    'bot.confirm.contact': '\n📞 {contact}',
    'bot.ticket.created': '✅ Ticket {number} is filed. An operator will answer {when}.',
    'bot.ticket.reopened':
      '🔄 Ticket {number} is open again and passed to an operator. We will answer {when}.',
    'bot.ticket.reopened.untimed': '🔄 Ticket {number} is open again and passed to an operator.',
    'bot.ticket.linked':
      '✅ Ticket {previous} is already closed, so I filed a new one, {number}, linked to it. An operator will answer {when}.',
    'bot.ticket.too_many':
      'You have filed many tickets in the last hour. Try again in {minutes} min or add to one you filed.',
    'bot.cancelled': 'All right, cancelled. Anything else?',
    'bot.receipt': '📨 Passed to an operator. We will answer {when}.',
    'bot.receipt.untimed': '📨 Passed to an operator.',
    'bot.off_hours': '🌙 We are off hours now. Operators will answer {when}.',
    'bot.tickets.none': 'You have no tickets yet.',
    'bot.tickets.list': 'Your tickets:\n{list}',
    'bot.tickets.item': '{emoji} {number} — {status}: {subject}',
    'bot.language.choose': 'Выберите язык / Choose your language:',
    'bot.language.set': 'Done, I will write in English.',
    'bot.operator_busy': 'An operator is already answering you in this dialog.',
    'bot.stale_button': 'This button is out of date. Type “menu”.',
    'bot.relay': '{text}\n\n— {operator_name|support operator}',
    'bot.join.welcome':
      '{greeting}, {first_name|friend}! Thanks for joining {community_name} 🎉 If you ever need help, just write here.',
    'bot.leave.regret': 'Sorry to see you go 😔 Would you tell us why? It helps us get better.',
    'bot.leave.thanks': 'Thank you for telling us! You are welcome back any time.',
    'bot.leave.other': 'Please tell us in one message what we should change.',
    'bot.leave.already': 'Thank you, we already have your answer.',
    'bot.allow.welcome':
      'Thank you for allowing messages! We will send you {subscription}. If you need help, just write here.',
    'bot.allow.welcome_plain': 'Thank you for allowing messages! If you need help, just write here.',
    'bot.numbers_hint': 'Reply with a number.',
    'bot.small_talk.thanks': 'You are welcome! Write any time you need something.',
    'bot.small_talk.bye': 'Goodbye! Write any time you need something.',
    'bot.description.screenshot': 'A screenshot without a description',
    'leave.boring': 'Not interesting',
    'leave.too_many_posts': 'Too many posts',
    'leave.not_relevant': 'No longer relevant',
    'leave.other': 'Other',

    ...operatorsTexts.en,
  },
} as const satisfies Record<Language, Record<string, string>>;

export type TextKey = keyof (typeof catalog)['ru'];

const compiled = new Map<string, CompiledTemplate>();

function compiledText(language: Language, key: TextKey): CompiledTemplate {
  const id = `${language}:${key}`;
  let template = compiled.get(id);
  if (!template) {
    template = compileTemplate(catalog[language][key], undefined, `text ${key}`);
    compiled.set(id, template);
  }
  return template;
}

export function render(
  language: Language,
  key: TextKey,
  variables: Readonly<Record<string, string | number | null | undefined>> = {},
): string {
  return renderTemplate(compiledText(language, key), variables, `text ${key}`);
}

/** The variable names a text uses, fallbacks aside: for the build's ru/en comparison. */
export function textVariables(language: Language, key: TextKey): string[] {
  return [...compiledText(language, key).variables].sort();
}
