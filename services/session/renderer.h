// Renders a coaching event for each kind of device: what a speaker says
// (plain text and SSML with pauses) and the whole card a display shows.
// Pure functions of the event, its status and the exercise.
#ifndef SERVICES_SESSION_RENDERER_H_
#define SERVICES_SESSION_RENDERER_H_

#include <cstdint>

#include "coach/v1/catalog.pb.h"
#include "coach/v1/session.pb.h"

namespace coachd {

// What the renderer needs besides the event itself.
struct RenderContext {
  const coach::v1::Routine* routine = nullptr;    // Required.
  const coach::v1::Exercise* exercise = nullptr;  // Null outside exercises.
  int flow_or_step_index = -1;  // Index into exercise steps shown as current.
  int timer_seconds = 0;        // Real length of the running timer.
  // How long the card's timer runs past the step's deadline (>= 0): the
  // rest of a hold after this tick, so every tick of a hold shows the same
  // deadline, the hold's end, and a display counts it down by itself.
  int64_t timer_past_deadline_us = 0;
};

// Fills event->speech and event->card from its payload and status.
// event->status must already be set.
void RenderEvent(const RenderContext& context, coach::v1::SessionEvent* event);

// A session's run state in words people read: "running", "paused",
// "stopped for discomfort", "finished", "not started".
const char* RunStateWords(coach::v1::RunState state);

// Spoken form of small numbers: 1 -> "One" ... 30 -> "Thirty"; others as
// digits.
const char* NumberWord(int n);

}  // namespace coachd

#endif  // SERVICES_SESSION_RENDERER_H_
