"""Use cases of delivery-period settlement (issue 9): start and compute runs, review them, confirm under four
eyes and publish, export a run as a case, participants' result screens, objections, and the demo's runs."""
