/** The query parameter of the my-tickets page that names one order of the fan's (its reservation id). */
export const WEB_ORDER_PARAM = 'order';

/**
 * The web app's pages that other parts link to (emails, payment redirects). The web app routes these same
 * paths, so a link made from here always opens the page it names; a page that needs a signed-in fan sends
 * a signed-out one through the login and back.
 */
export const WEB_PAGES = {
  events: '/',
  event: (eventId: string) => `/events/${eventId}`,
  myTickets: '/me/tickets',
  /**
   * The my-tickets page showing one order: a mail about an order links here, and the page marks that order,
   * or says the signed-in account has no such order (another account's mail opened here).
   */
  order: (reservationId: string) => `/me/tickets?${WEB_ORDER_PARAM}=${reservationId}`,
  login: '/login',
  /** Where a fan asks for a link to set a new password. */
  forgotPassword: '/forgot-password',
  /** Pays a hold; a waiting-list offer links here. */
  checkout: (reservationId: string) => `/checkout/${reservationId}`,
  /** Where Toss sends the customer back after checkout. */
  paymentSuccess: '/payments/success',
  paymentFail: '/payments/fail',
} as const;

/**
 * The query parameter naming the language a page opens in (`ko` or `en`). Every link in a mail carries the
 * mail's, so that a Korean mail opened in an English browser opens a Korean page; the web app keeps it as
 * the visitor's choice, as its language switch does.
 */
export const WEB_LANGUAGE_PARAM = 'lang';
