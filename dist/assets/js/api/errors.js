// What a failed API call looks like: ApiError, and the sentence to show
// the user for it.

/** An error answer from the API (or no answer at all: status 0). */
export class ApiError extends Error {
  constructor(status, problem = {}, options = {}) {
    super(problem.detail || problem.title || `Request failed with status ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
    this.retryAfter = options.retryAfter ?? null;
    this.network = Boolean(options.network);
    // True when the session is gone and the app has been told to show the
    // login screen; views should not show their own error for it.
    this.unauthenticated = Boolean(options.unauthenticated);
  }

  /** The problem's field errors: [{field: "/password", message}]. */
  get fieldErrors() {
    return Array.isArray(this.problem?.errors) ? this.problem.errors : [];
  }
}

/** A sentence for the user describing err. */
export function errorMessage(err) {
  if (!err) return 'Something went wrong.';
  if (typeof err === 'string') return err;
  if (err.network) return "Can't reach Listo. Check your connection and try again.";
  const problem = err.problem || {};
  let message = problem.detail || problem.title || err.message || 'Something went wrong.';
  if (err.status === 429) {
    if (!problem.detail) message = 'Too many attempts.';
    if (err.retryAfter) message += ` Try again in ${formatWait(err.retryAfter)}.`;
  }
  if (err.status >= 500 && !problem.detail) message = 'Something went wrong on our side. Please try again.';
  return message;
}

function formatWait(seconds) {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}
