// Draws a display card as text: title, the step list with the current step
// marked, set and rep, a countdown computed locally from the card's deadline,
// and a progress bar. Pure; shared by the display client and its tests.
#ifndef CLIENTS_DISPLAY_CARD_VIEW_H_
#define CLIENTS_DISPLAY_CARD_VIEW_H_

#include <string>

#include "absl/time/time.h"
#include "coach/v1/scheduler.pb.h"
#include "coach/v1/session.pb.h"

namespace coachd {

// The card as lines of at most `width` columns (ASCII, no escape codes).
std::string RenderCard(const coach::v1::Card& card, absl::Time now, int width);

// The whole seconds left until the card's deadline at `now` (rounded up),
// or -1 when the card has no running timer.
int SecondsLeft(const coach::v1::Card& card, absl::Time now);

// One line summing the card up, for logs and plain terminals.
std::string CardLine(const coach::v1::Card& card, absl::Time now);

// What a reminders display shows while no reminder is due: the week against
// the goal and when the next reminder comes (in the goal's time zone), e.g.
// "this week: 0 of 3 sessions done; next reminder Fri 27 Nov 13:09 GMT".
std::string WaitingLine(const coach::v1::Progress& progress);

}  // namespace coachd

#endif  // CLIENTS_DISPLAY_CARD_VIEW_H_
