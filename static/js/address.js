/* A Cambodian address on one page (partials/address.html with ``dynamic``: the checkout):
   choosing a province fills the districts, a district the communes, a commune the villages,
   from /api/v1/geo, without a reload. Without JavaScript (or if a list cannot be fetched)
   the "Next" buttons send the form back with the next list filled, keeping everything
   typed. */
(function () {
  'use strict';
  var box = document.querySelector('[data-geo]');
  if (!box || !window.fetch || !box.closest) { return; }
  var levels = ['province_code', 'district_code', 'commune_code', 'village_code'];
  var khmer = document.documentElement.lang === 'km';
  var nextButtons = box.querySelectorAll('.step-next');

  function select(name) { return document.getElementById('f-' + name); }
  function field(element) { return element.closest('.field'); }
  function showButtons(shown) {
    for (var i = 0; i < nextButtons.length; i++) { nextButtons[i].hidden = !shown; }
  }

  function clearBelow(index) {
    for (var i = index + 1; i < levels.length; i++) {
      var below = select(levels[i]);
      below.length = 1;  // only the "Choose ..." option stays
      below.value = '';
      field(below).hidden = true;
    }
  }

  function fill(list, places) {
    for (var i = 0; i < places.length; i++) {
      var place = places[i];
      list.add(new Option(khmer && place.name_km ? place.name_km : place.name_en, place.code));
    }
    field(list).hidden = false;
  }

  levels.slice(0, -1).forEach(function (name, index) {
    var element = select(name);
    element.addEventListener('change', function () {
      clearBelow(index);
      var code = element.value;
      if (!code) { return; }
      var next = select(levels[index + 1]);
      box.setAttribute('aria-busy', 'true');
      fetch(element.dataset.children.replace('{code}', encodeURIComponent(code)),
            {headers: {Accept: 'application/json'}, credentials: 'same-origin'})
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.json();
        })
        .then(function (body) {
          if (element.value === code) { fill(next, body.data); }  // not changed meanwhile
        })
        .catch(function () { showButtons(true); })  // the way without JavaScript
        .then(function () { box.removeAttribute('aria-busy'); });
    });
  });

  showButtons(false);
  var hint = box.querySelector('[data-js-hint]');
  if (hint) { hint.textContent = hint.getAttribute('data-js-hint'); }
  box.setAttribute('data-geo-ready', '');
}());

/* The shipping prices follow the province (in Cambodia) or the country (abroad): they are
   fetched for this browser's cart from /checkout/shipping-prices, without a reload. Without
   JavaScript, "Update shipping prices" sends the form back with them. */
(function () {
  'use strict';
  if (!window.fetch || !window.URLSearchParams || !Element.prototype.replaceChildren) { return; }
  var updateButton = document.querySelector('[data-update-prices]');
  if (!updateButton) { return; }
  function updatePrices() {
    var province = document.getElementById('f-province_code');
    var country = document.getElementById('f-country');
    var query = new URLSearchParams({
      destination: country ? 'abroad' : 'KH',
      province_code: province ? province.value : '',
      country: country ? country.value : ''});
    fetch('/checkout/shipping-prices?' + query.toString(),
          {headers: {Accept: 'application/json'}, credentials: 'same-origin'})
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (body) {
        body.options.forEach(function (option) {
          var place = document.querySelector('[data-price-for="' + option.code + '"]');
          if (!place || option.price === null) { return; }
          var strong = document.createElement('strong');
          strong.textContent = option.price;
          var riel = document.createElement('span');
          riel.className = 'khr';
          riel.textContent = option.khr;
          place.replaceChildren(strong, document.createTextNode(' '), riel);
        });
      })
      .catch(function () { updateButton.hidden = false; });
  }
  ['province_code', 'country'].forEach(function (name) {
    var element = document.getElementById('f-' + name);
    if (element) { element.addEventListener('change', updatePrices); }
  });
  updateButton.hidden = true;
}());
