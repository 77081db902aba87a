import { createInterface } from 'node:readline/promises';

/**
 * Talk to the bot of a running `npm start` as a VK user, through the VK sandbox: what you type is a
 * message, a number presses that button of the last keyboard, and a few commands play the other
 * side (an admin in your dialog, an operator in the operators' chat, the passing of time).
 *
 *   npm run chat -- --user 1001
 */
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? (args[index + 1] ?? fallback) : fallback;
};
const sandboxUrl = option('sandbox', `http://127.0.0.1:${process.env.VK_SANDBOX_PORT ?? 8081}`);
const userId = Number(option('user', '1001'));
const operatorsChat = Number(option('chat', process.env.OPERATORS_CHAT_PEER_ID ?? '2000000001'));
const operatorId = Number(option('operator', '1'));
const qualityChat = Number(option('quality', process.env.QUALITY_CHAT_PEER_ID ?? '2000000002'));
const appUrl = option('app', `http://127.0.0.1:${process.env.PORT ?? 8080}`);

interface Sent {
  peerId: number;
  text: string;
  conversationMessageId: number;
  keyboard: { buttons?: Array<Array<{ action: { type: string; label: string; payload: string } }>> } | null;
}

type Action = { type: string; label: string; payload: string; messageId: number };

let seen = 0;
let answersSeen = 0;
/** What each message said when shown: an edit (a rated survey) shows again. */
const shownTexts: string[] = [];
let userButtons: Action[] = [];
let chatButtons: Action[] = [];
let lastChatMessage: number | undefined;

async function post(path: string, body: unknown): Promise<void> {
  const response = await fetch(`${sandboxUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const delivery = (await response.json()) as { status?: number; answer?: string };
  if (delivery.status !== 200) console.log(`  (callback answered ${delivery.status} ${delivery.answer})`);
}

async function show(): Promise<void> {
  // The bot answers before the callback's `ok`; relayed ticket updates go through the queue, so wait a beat.
  await new Promise((resolve) => setTimeout(resolve, 400));
  const sent = (await (await fetch(`${sandboxUrl}/sandbox/sent`)).json()) as Sent[];
  for (const [index, message] of sent.entries()) {
    if (index < seen) {
      if (message.peerId === userId && shownTexts[index] !== message.text)
        console.log(`\n✏️  (edited) ${message.text}`);
      shownTexts[index] = message.text;
      continue;
    }
    shownTexts[index] = message.text;
    const buttons = (message.keyboard?.buttons ?? [])
      .flat()
      .map((button) => ({ ...button.action, messageId: message.conversationMessageId }));
    if (message.peerId === qualityChat) {
      console.log(`\n🛡  quality chat: ${message.text.replace(/\n/g, '\n   ')}`);
    } else if (message.peerId === userId) {
      console.log(`\n🤖 ${message.text}`);
      if (buttons.length > 0) userButtons = buttons;
      // A scale (the NPS survey's 0–10) is pressed by its own numbers, not by position.
      const scale = buttons.length > 0 && buttons.every((button) => /^\d+$/.test(button.label));
      for (const [index, button] of buttons.entries())
        console.log(scale ? `   [${button.label}]` : `   [${index + 1}] ${button.label}`);
    } else if (message.peerId === operatorsChat) {
      console.log(`\n👥 operators' chat: ${message.text.replace(/\n/g, '\n   ')}`);
      lastChatMessage = message.conversationMessageId;
      if (buttons.length > 0) chatButtons = buttons;
      for (const [index, button] of buttons.entries()) console.log(`   [o${index + 1}] ${button.label}`);
    }
  }
  seen = sent.length;
  const answers = (await (await fetch(`${sandboxUrl}/sandbox/event-answers`)).json()) as Array<{
    userId: number;
    eventData: { type?: string; text?: string } | null;
  }>;
  for (const answer of answers.slice(answersSeen)) {
    if (answer.userId === userId && answer.eventData?.text)
      console.log(`\n💬 snackbar: ${answer.eventData.text}`);
  }
  answersSeen = answers.length;
}

async function main(): Promise<void> {
  console.log(
    [
      `You are VK user ${userId}. Type a message; a number presses a button of the last keyboard.`,
      '  /photo <text>   send a message with a photo attached',
      `  /admin <text>   a community admin (id ${operatorId}) writes in your dialog (the bot goes quiet)`,
      `  /ops <text>     operator ${operatorId} writes in the operators' chat (/queue, /status B-1001, …)`,
      "  /reply <text>   operator replies to the last message in the operators' chat (relayed to you; /t greeting)",
      '  o<number>       operator presses a button of the last card',
      '  /later <minutes> the dev clock moves on (a CSAT survey comes 30 min after a resolution)',
      '  /join, /leave, /quit',
    ].join('\n'),
  );
  await show();
  const input = createInterface({ input: process.stdin });
  process.stdout.write('\n> ');
  for await (const raw of input) {
    const line = raw.trim();
    if (!line) continue;
    if (!process.stdin.isTTY) console.log(line); // a piped script: show what was typed
    if (line === '/quit') break;
    const [command = '', ...rest] = line.split(' ');
    const text = rest.join(' ');
    if (/^\d+$/.test(line)) {
      const scale = userButtons.length > 0 && userButtons.every((candidate) => /^\d+$/.test(candidate.label));
      const button = scale
        ? userButtons.find((candidate) => candidate.label === line)
        : userButtons[Number(line) - 1];
      if (!button) console.log('  no such button');
      else if (button.type === 'callback')
        await post(`/sandbox/users/${userId}/press`, {
          payload: JSON.parse(button.payload),
          conversationMessageId: button.messageId,
        });
      else
        await post(`/sandbox/users/${userId}/messages`, {
          text: button.label,
          payload: JSON.parse(button.payload),
        });
    } else if (/^o\d+$/.test(line)) {
      const button = chatButtons[Number(line.slice(1)) - 1];
      if (!button) console.log('  no such button');
      else
        await post(`/sandbox/chats/${operatorsChat}/press`, {
          from: operatorId,
          payload: JSON.parse(button.payload),
        });
    } else if (command === '/photo') {
      await post(`/sandbox/users/${userId}/messages`, { text, photos: 1 });
    } else if (command === '/admin') {
      await post(`/sandbox/admins/${operatorId}/dialogs/${userId}`, { text });
    } else if (command === '/ops') {
      await post(`/sandbox/chats/${operatorsChat}/messages`, { from: operatorId, text });
    } else if (command === '/reply') {
      await post(`/sandbox/chats/${operatorsChat}/messages`, {
        from: operatorId,
        text,
        replyTo: lastChatMessage,
      });
    } else if (command === '/later') {
      const response = await fetch(`${appUrl}/dev/clock/advance`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ minutes: Number(text) }),
      });
      console.log(`  dev clock: ${JSON.stringify(await response.json())}`);
      await new Promise((resolve) => setTimeout(resolve, 1000)); // the deferred queue's poll
    } else if (command === '/join' || command === '/leave') {
      await post(`/sandbox/users/${userId}/${command.slice(1)}`, {});
    } else {
      await post(`/sandbox/users/${userId}/messages`, { text: line });
    }
    await show();
    process.stdout.write('\n> ');
  }
  input.close();
}

main().catch((error: unknown) => {
  console.error(
    `chat failed: ${error instanceof Error ? error.message : String(error)} (is npm start running?)`,
  );
  process.exitCode = 1;
});
