// altcha-lib's solver as a Web Worker: same origin, so the Content-Security-Policy ('self') allows it.
import 'altcha-lib/v1/worker';
