/**
 * Autocomplete of `/ops command:`: the usages of the commands this user may run in this channel,
 * and the built-ins, that start with (or contain) what they typed so far. Answered from memory:
 * the choices are the initial response.
 */
import type { APIApplicationCommandAutocompleteInteraction, APIApplicationCommandOptionChoice } from 'discord-api-types/v10';
import type { ChatUser } from '../../chat/platform.js';
import { BUILTIN_USAGE } from '../../chat/help.js';
import { placeOf } from './inbound.js';
import type { InteractionDeps } from './interaction-deps.js';

const MAX_CHOICES = 25;
const MAX_CHOICE_CHARS = 100;

function focusedText(i: APIApplicationCommandAutocompleteInteraction): string {
  for (const o of i.data.options) if ('focused' in o && o.focused && typeof o.value === 'string') return o.value;
  return '';
}

export function autocompleteChoices(i: APIApplicationCommandAutocompleteInteraction, user: ChatUser, deps: Pick<InteractionDeps, 'router'>): APIApplicationCommandOptionChoice<string>[] {
  const typed = focusedText(i).trim();
  const channel = placeOf(i)?.channel ?? '';
  const candidates = [
    ...deps.router.allowedCommands(user.identity, user.groups, channel).map((c) => ({ usage: c.usage, value: c.examples[0] ?? c.name, about: c.description })),
    ...Object.values(BUILTIN_USAGE).map((b) => ({ usage: b.usage, value: b.usage.split(' ')[0] ?? b.usage, about: b.description })),
  ];
  const word = typed.toLowerCase();
  const ranked = [...candidates.filter((c) => c.usage.toLowerCase().startsWith(word)), ...candidates.filter((c) => !c.usage.toLowerCase().startsWith(word) && c.usage.toLowerCase().includes(word))];
  const choices: APIApplicationCommandOptionChoice<string>[] = [];
  // What they typed stays a choice of its own, so picking a suggestion never loses it.
  if (typed !== '' && typed.length <= MAX_CHOICE_CHARS) choices.push({ name: typed, value: typed });
  for (const c of ranked) {
    if (choices.length >= MAX_CHOICES) break;
    const name = `${c.usage}${c.about ? ` — ${c.about}` : ''}`;
    choices.push({ name: name.length > MAX_CHOICE_CHARS ? `${name.slice(0, MAX_CHOICE_CHARS - 1)}…` : name, value: c.value.slice(0, MAX_CHOICE_CHARS) });
  }
  return choices;
}
